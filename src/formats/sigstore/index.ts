export {
  isContainersSigstoreSignature,
  parseContainersSigstoreSignature,
  type ContainersSigstoreSignature,
} from './containers-image.js';

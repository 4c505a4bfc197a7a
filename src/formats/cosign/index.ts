export { parseCosignPayload, COSIGN_PAYLOAD_TYPE, type CosignPayload } from './payload.js';
export {
  readLayerAnnotations,
  decodeBase64,
  ANNOTATION,
  type CosignLayerAnnotations,
  type RekorBundle,
} from './layer.js';
export { fulcioIssuer, fulcioIssuerExtensions } from './fulcio.js';

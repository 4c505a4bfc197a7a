export { parseDsseEnvelope, pae, type DsseEnvelope } from './envelope.js';
export {
  parseInTotoStatement,
  predicateKind,
  IN_TOTO_PAYLOAD_TYPE,
  type InTotoStatement,
} from './statement.js';

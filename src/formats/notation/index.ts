export type { NotationEnvelope, NotationTime, ParseOptions } from './common.js';
export { NotaryHeader, NOTATION_ALGORITHMS, SIGNING_SCHEMES } from './common.js';
export { COSE_ALGORITHMS, COSE_MEDIA_TYPE, coseSign1SignedBytes, parseCoseEnvelope } from './cose.js';
export type { LegacyNotationEra, SignatureManifestKind } from './envelope.js';
export { NOTATION_ENVELOPE_MEDIA_TYPES, parseNotationEnvelope, signatureManifestKind } from './envelope.js';
export { JWS_MEDIA_TYPE, parseJwsEnvelope } from './jws.js';
export type { NotationPayload } from './payload.js';
export { NOTATION_PAYLOAD_MEDIA_TYPE, parseNotationPayload } from './payload.js';

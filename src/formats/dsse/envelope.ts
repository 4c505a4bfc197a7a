import { SigscanError } from '../../errors.js';
import { decodeBase64 } from '../cosign/layer.js';

/** A DSSE envelope (formats.md §2.8). `payload` is kept as the exact decoded bytes that were signed. */
export interface DsseEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: Array<{ keyid?: string; sig: Uint8Array }>;
}

export function parseDsseEnvelope(bytes: Uint8Array): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SigscanError('MALFORMED_ENVELOPE', 'DSSE envelope is not JSON');
  }
  const e = doc as { payload?: unknown; payloadType?: unknown; signatures?: unknown };
  if (!e || typeof e !== 'object' || typeof e.payload !== 'string' || typeof e.payloadType !== 'string') {
    throw new SigscanError('MALFORMED_ENVELOPE', 'DSSE envelope needs string "payload" and "payloadType"');
  }
  if (!Array.isArray(e.signatures))
    throw new SigscanError('MALFORMED_ENVELOPE', 'DSSE envelope has no "signatures" list');
  return {
    payloadType: e.payloadType,
    payload: decodeBase64(e.payload, 'DSSE payload'),
    signatures: e.signatures.map((s: unknown, i) => {
      const sig = s as { keyid?: unknown; sig?: unknown };
      if (!sig || typeof sig.sig !== 'string')
        throw new SigscanError('MALFORMED_ENVELOPE', `DSSE signature ${i} has no "sig"`);
      return {
        keyid: typeof sig.keyid === 'string' && sig.keyid ? sig.keyid : undefined,
        sig: decodeBase64(sig.sig, 'DSSE sig'),
      };
    }),
  };
}

/** Pre-Authentication Encoding: what each DSSE signature covers. Lengths are byte counts. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, 'utf8');
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(`DSSEv1 ${type.length} `),
      type,
      Buffer.from(` ${payload.length} `),
      Buffer.from(payload),
    ]),
  );
}

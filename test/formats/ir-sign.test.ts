/**
 * readIrSignAnnotations on openssl-made ir-sign annotations (issue #18): the two annotation faults a
 * signer's tooling makes, base64 where ir-sign writes hex, and an annotation left out.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import {
  IR_SIGN_SIGNATURE,
  IR_SIGN_VENDORPUB,
  IR_SIGN_VENDORPUB_SIGNATURE,
  readIrSignAnnotations,
} from '../../src/formats/ir-sign.js';
import { irSignMaterial, type IrSignMaterialFiles } from '../helpers/ir-sign.js';

describe('readIrSignAnnotations (openssl-made annotations)', () => {
  let m: IrSignMaterialFiles;
  let good: Record<string, string>;
  beforeAll(async () => {
    m = await irSignMaterial();
    good = {
      [IR_SIGN_SIGNATURE]: m.signature,
      [IR_SIGN_VENDORPUB]: m.vendorPub,
      [IR_SIGN_VENDORPUB_SIGNATURE]: m.vendorPubSignature,
    };
  }, 60_000);

  it('the three annotations as ir-sign writes them: decoded, no finding (the control)', () => {
    const a = readIrSignAnnotations(good)!;
    expect(a.findings).toEqual([]);
    expect(Buffer.from(a.vendorPub!).toString('hex')).toBe(m.vendorPub);
    expect(Buffer.from(a.signature!).toString('hex')).toBe(m.signature);
    expect(Buffer.from(a.vendorPubSignature!).toString('hex')).toBe(m.vendorPubSignature);
  });

  it('the vendor key base64-encoded instead of hex: ANNOTATION_MALFORMED, the value dropped', () => {
    const b64 = Buffer.from(m.vendorPub, 'hex').toString('base64');
    const a = readIrSignAnnotations({ ...good, [IR_SIGN_VENDORPUB]: b64 })!;
    expect(a.findings).toEqual([
      {
        code: 'ANNOTATION_MALFORMED',
        severity: 'integrity',
        message: `${IR_SIGN_VENDORPUB}: not hex (base64 or PEM by mistake?)`,
      },
    ]);
    expect(a.vendorPub).toBeUndefined();
    expect(a.signature).toBeDefined();
  });

  it('the vendor key signature left out: ANNOTATION_MISSING naming it', () => {
    const { [IR_SIGN_VENDORPUB_SIGNATURE]: _dropped, ...rest } = good;
    const a = readIrSignAnnotations(rest)!;
    expect(a.findings).toEqual([
      {
        code: 'ANNOTATION_MISSING',
        severity: 'integrity',
        message: `the manifest carries ir-sign annotations but not ${IR_SIGN_VENDORPUB_SIGNATURE}`,
      },
    ]);
    expect(a.present).toEqual([IR_SIGN_SIGNATURE, IR_SIGN_VENDORPUB]);
  });
});

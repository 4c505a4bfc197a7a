/** Inputs the fuzzers found that crashed a parser with an untyped error, kept after the fix. */
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../src/errors.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

import { parseSignedData } from '../../src/formats/cms.js';
import { readLayerAnnotations } from '../../src/formats/cosign/index.js';
import { parseSimpleSigningMessage } from '../../src/formats/simple-signing/index.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { parseNotationPayload } from '../../src/formats/notation/index.js';
import { parseDistinguishedName } from '../../src/trust/notation/trustpolicy.js';

const enc = new TextEncoder();

describe('fuzz regressions', () => {
  it('notation DN: a hex escape that is not UTF-8 is a plain parse error, not a TypeError', () => {
    // Was: TypeError "The encoded data was not valid for encoding utf-8" from TextDecoder (seed 20261122).
    for (const dn of ['CN=\\aCN#', '=\\aa;=+CN', 'CN=\\c3']) {
      let thrown: unknown;
      try {
        parseDistinguishedName(dn);
      } catch (err) {
        thrown = err;
      }
      expect((thrown as Error).constructor).toBe(Error);
      expect((thrown as Error).message).toMatch(/not valid UTF-8/);
    }
    expect(parseDistinguishedName('CN=\\c3\\a9t\\c3\\a9')).toEqual(new Map([['CN', 'été']]));
  });

  it('notation payload: a digest object without a usable toString is MALFORMED_ENVELOPE', () => {
    // Was: TypeError "Cannot convert object to primitive value" from String(t.digest) in the message.
    const bytes = enc.encode(
      '{"targetArtifact":{"mediaType":"application/vnd.docker.distribution.manifest.v2+json",' +
        '"digest":{"constructor":"x","toString":1}}}',
    );
    expect(() => parseNotationPayload(bytes)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_ENVELOPE' }) as SigscanError,
    );
  });

  it('cosign layer: a non-string certificate annotation is MALFORMED_SIGNATURE', () => {
    // Was: TypeError "pem.matchAll is not a function" (annotations come from untyped manifest JSON).
    for (const bad of [5, ['x'], { a: 1 }, true]) {
      const annotations = {
        'dev.cosignproject.cosign/signature': 'MEUCIQ==',
        'dev.sigstore.cosign/certificate': bad,
      } as unknown as Record<string, string>;
      expect(() => readLayerAnnotations(annotations)).toThrow(SigscanError);
    }
    const badSignature = { 'dev.cosignproject.cosign/signature': 42 } as unknown as Record<string, string>;
    expect(() => readLayerAnnotations(badSignature)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_SIGNATURE' }) as SigscanError,
    );
  });

  it('CMS: a constructed OCTET STRING piece without a value block is MALFORMED_CMS', () => {
    // Was: TypeError "Cannot read properties of undefined (reading 'map')" in octetStringContents.
    // Found by cms.signedData (seed 42): the signify catalog file with four bytes changed.
    const cat = new Uint8Array(
      readFileSync(
        join(
          CORPUS_DIR,
          'authenticode/signify/115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat',
        ),
      ),
    );
    for (const [at, value] of [
      [830, 127],
      [1470, 0],
      [1471, 1],
      [4882, 64],
    ] as const)
      cat[at] = value;
    expect(() => parseSignedData(cat)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_CMS' }) as SigscanError,
    );
  });

  it("simple signing: a damaged signature packet is MALFORMED_SIGNATURE, not openpgp's plain Error", async () => {
    // Was: Error "Invalid enum value." thrown by openpgp's Message.verify (invalid-blob.signature, mutated).
    const bytes = Buffer.from(
      'a30101de0121fe900d03000801e932f44b23e8dd4301cb1762006859a9b354686973206973206e6f74204a534f4e0a89' +
        '01b304e30108001d16210408cd26e446e2e95249b7a405e932f44b23e8dd4305026859a9b3000a0910e932f44b23e8dd' +
        '43c0620bfe3a53a4af937c05647888963abb2934e55fd8850774554700c3db3c2f17dda3a947362ac04c6205bffb68a6' +
        '8de0e366b5db8ae209db55dd7b58ce4825e5538d020d029bb2ce26f141f59584cabb1f987104afc6990b8ce1db8d573a' +
        '1b4eec7ab9fb2e0ad944f1304015388c7dc2e2e8b28db23c312fb257ff33c0a857121a8751a13ae17f472e9281861c17' +
        '7b400967e70c1e28f3b534cee15d40c9da58a359bd73181a5a81c919058edd6799fbd1cb96bda3c508819d3008f5c880' +
        'dff127810d6fdc387295c8de3651774b8272963b765fc0b454618aedc63119f071c54279e9e55964ea8e6d2c83d7bcda' +
        '1e0b01490d8787d738f39871be9a35ece65e09b6c54565281673f173557cae52cdf91a3633110ad156c1083119139d95' +
        '440456628943a3af74935850b1c6a18bb9b863fe3590ce7973fd0ab0e642023d5820f627b6dfeab4b9076d6363762840' +
        '91da36859602f241c9a13141001518d6aa2c72bab05b13dd67f0a00d387b4d810913f9297c7498164ea58d0a05d44713' +
        'b4b83bcfbe',
      'hex',
    );
    await expect(parseSimpleSigningMessage(new Uint8Array(bytes))).rejects.toBeInstanceOf(SigscanError);
  });
});

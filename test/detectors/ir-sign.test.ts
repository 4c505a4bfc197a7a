/**
 * The ir-sign detector on OCI image layouts (issue #18): openssl-made annotations on a manifest whose
 * config descriptor is missing, or whose config blob was altered on disk after the layout was written.
 * The layout store is sigscan's own (the same code path as `sigscan layout`); the evaluator turns each
 * integrity finding into an `invalid` verdict with the same code.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { irSignDetector } from '../../src/detectors/ir-sign.js';
import {
  IR_SIGN_SIGNATURE,
  IR_SIGN_VENDORPUB,
  IR_SIGN_VENDORPUB_SIGNATURE,
} from '../../src/formats/ir-sign.js';
import type { Evidence, ImageTarget } from '../../src/model/index.js';
import { OciLayoutStore } from '../../src/oci/layout/store.js';
import { MediaType } from '../../src/oci/types.js';
import { loadTrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { ociAnnotationVerifier } from '../../src/trust/families/oci-annotation.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { IR_SIGN_CONFIG, irSignMaterial, type IrSignMaterialFiles } from '../helpers/ir-sign.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

describe('irSignDetector on OCI layouts', () => {
  let m: IrSignMaterialFiles;
  let work: string;
  beforeAll(async () => {
    m = await irSignMaterial();
    work = mkdtempSync(join(tmpdir(), 'sigscan-irsign-det-'));
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** Writes a one-image layout; `withConfig: false` leaves the config descriptor out. */
  function layout(name: string, opts: { withConfig?: boolean; configOnDisk?: string } = {}) {
    const dir = join(work, name);
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const blob = (bytes: string) => {
      const hex = sha(bytes);
      writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(bytes) };
    };
    const config = blob(IR_SIGN_CONFIG);
    // Altered after the layout was written: same length, other bytes, under the old digest.
    if (opts.configOnDisk)
      writeFileSync(join(dir, 'blobs', 'sha256', config.digest.slice(7)), opts.configOnDisk);
    const layer = blob('layer');
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      ...(opts.withConfig === false ? {} : { config: { mediaType: MediaType.ociConfig, ...config } }),
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      annotations: {
        [IR_SIGN_SIGNATURE]: m.signature,
        [IR_SIGN_VENDORPUB]: m.vendorPub,
        [IR_SIGN_VENDORPUB_SIGNATURE]: m.vendorPubSignature,
      },
    });
    const md = blob(manifest);
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, ...md }] }),
    );
    const target: ImageTarget = {
      kind: 'image',
      registry: `oci:${dir}`,
      repository: '',
      digest: md.digest,
      mediaType: MediaType.ociManifest,
    };
    return { store: new OciLayoutStore(dir, DEFAULT_LIMITS.maxManifestBytes), target };
  }

  async function detect(name: string, opts?: { withConfig?: boolean; configOnDisk?: string }) {
    const { store, target } = layout(name, opts);
    const ctx = { oci: store, limits: DEFAULT_LIMITS, log: silentLogger, services: { irSign: true } };
    const out: Evidence[] = [];
    for await (const e of irSignDetector.detect(target, ctx)) out.push(e);
    const config = await loadTrustConfig({ key: [m.rootPub] });
    const verdict = await new TrustEvaluator(config).evaluate(out[0]!, target);
    // The family verifier is a plugin (src/plugins/ir-sign.ts) the evaluator does not load by itself.
    const family = await ociAnnotationVerifier(out[0]!, target, { config, now: new Date() });
    return { evidence: out, verdict: [verdict.status, verdict.code], family: [family.status, family.code] };
  }

  it('a signed image: verified with the root key (the control)', async () => {
    const { evidence, verdict, family } = await detect('good');
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.findings).toEqual([]);
    expect(verdict).toEqual(['unverified', 'NOT_SUPPORTED']);
    expect(family).toEqual(['verified', 'VERIFIED']);
  });

  it('a manifest without a config descriptor: CONFIG_MISSING -> invalid CONFIG_MISSING', async () => {
    const { evidence, verdict } = await detect('no-config', { withConfig: false });
    expect(evidence[0]!.findings!.map((f) => [f.code, f.severity])).toEqual([
      ['CONFIG_MISSING', 'integrity'],
    ]);
    expect(verdict).toEqual(['invalid', 'CONFIG_MISSING']);
  });

  it('a config blob altered on disk: CONFIG_DIGEST_MISMATCH -> invalid CONFIG_DIGEST_MISMATCH', async () => {
    const { evidence, verdict } = await detect('altered', {
      configOnDisk: IR_SIGN_CONFIG.replace('arm64', 'amd64'),
    });
    expect(evidence[0]!.findings!.map((f) => [f.code, f.severity])).toEqual([
      ['CONFIG_DIGEST_MISMATCH', 'integrity'],
    ]);
    expect(verdict).toEqual(['invalid', 'CONFIG_DIGEST_MISMATCH']);
  });
});

import { irSignDetector } from '../detectors/ir-sign.js';
import type { SigscanPlugin } from '../plugin/api.js';
import { PLUGIN_API_VERSION } from '../plugin/api.js';

/**
 * ISLET ir-sign annotation signatures, loaded through the plugin contract like any third-party
 * family (so the contract is proven by real use). Its verifier is imported on first use.
 */
export const irSignPlugin: SigscanPlugin = {
  pluginApiVersion: PLUGIN_API_VERSION,
  name: 'ir-sign',
  families: [
    {
      family: 'oci-annotation',
      detector: irSignDetector,
      async verify(evidence, target, ctx) {
        const { ociAnnotationVerifier } = await import('../trust/families/oci-annotation.js');
        return ociAnnotationVerifier(evidence, target, { config: ctx.trust as never, now: ctx.now });
      },
    },
  ],
};

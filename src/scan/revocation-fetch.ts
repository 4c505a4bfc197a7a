import type { HttpTransport } from '../oci/registry/transport.js';
import type { TrustConfig } from '../trust/config.js';
import type { OnlineRevocation } from '../trust/revocation/check.js';
import type { RevocationFetch } from '../trust/revocation/online.js';

/** CRLs of big CAs run to megabytes; anything past this is refused rather than buffered. */
const MAX_REVOCATION_BYTES = 32 * 1024 * 1024;

/** CRL and OCSP GETs through the scan's transport: its timeouts, `--rps`, retries and request stats. */
export function transportFetch(transport: HttpTransport): RevocationFetch {
  return async (url, kind) => {
    const res = await transport.send({
      method: 'GET',
      url,
      kind: kind === 'crl' ? 'crl' : 'ocsp',
      headers: { accept: kind === 'crl' ? 'application/pkix-crl' : 'application/ocsp-response' },
      maxBytes: MAX_REVOCATION_BYTES,
    });
    if (res.status !== 200) throw new Error(`${url.toString()} answered HTTP ${res.status}`);
    return res.body;
  };
}

/**
 * The scan's online revocation client (`--revocation online*`), or undefined. Registry scans pass their
 * transport; file scans get one of their own, which `close` ends.
 */
export async function onlineRevocationFor(
  trust: TrustConfig,
  transport: HttpTransport | undefined,
): Promise<{ client?: OnlineRevocation; close(): Promise<void> }> {
  if (trust.revocation !== 'online' && trust.revocation !== 'online-strict') {
    return { close: async () => undefined };
  }
  // OCSP and CRL fetching (and pkijs under them) only for a scan that asked for it.
  const { OnlineRevocationClient } = await import('../trust/revocation/online.js');
  if (transport)
    return { client: new OnlineRevocationClient(transportFetch(transport)), close: async () => undefined };
  // A file scan's own transport (and undici, a fifth of a file scan's module loading, which a scan
  // without --revocation online would otherwise load for nothing) comes with its first request.
  let own: Promise<HttpTransport> | undefined;
  const ownTransport = () =>
    (own ??= import('../oci/registry/transport.js').then(
      ({ HttpTransport }) => new HttpTransport({ concurrency: 4, timeoutMs: 10_000, maxAttempts: 2 }),
    ));
  return {
    client: new OnlineRevocationClient(async (url, kind) => transportFetch(await ownTransport())(url, kind)),
    close: async () => (own ? (await own).close() : undefined),
  };
}

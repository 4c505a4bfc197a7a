/** What the listing tests share: loopback API servers and transports closed after each test. */
import { afterEach } from 'vitest';

import { HttpTransport } from '../../../src/oci/registry/transport.js';
import type { FaultServer } from '../../helpers/fault-server.js';

export const servers: FaultServer[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A transport with fast retries, closed after the test. */
export function transport(): HttpTransport {
  const t = new HttpTransport({ concurrency: 2, retryBaseMs: 5, maxAttempts: 2 });
  transports.push(t);
  return t;
}

export async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

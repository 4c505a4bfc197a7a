import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hand-made HTTP server for faults a real registry cannot be made to show (429 storms, lying digests,
 * cross-host redirects, endless pagination). Every request is recorded.
 */
export interface FaultServer {
  host: string;
  url: string;
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, count: number) => void;

/**
 * `listen` picks the loopback address: a second one (127.0.0.2) is another host to sigscan's token
 * realm checks, which compare names, not where they lead.
 */
export async function startFaultServer(
  handler: Handler,
  opts: { listen?: string } = {},
): Promise<FaultServer> {
  const address = opts.listen ?? '127.0.0.1';
  const requests: FaultServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    url: `http://${address}:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        // A handler that stalls on purpose leaves connections open; close() must not wait for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

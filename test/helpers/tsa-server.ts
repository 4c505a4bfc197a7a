/**
 * An RFC 3161 time-stamp authority on 127.0.0.1 for tools that ask one over HTTP (cosign
 * `--timestamp-server-url`): each POSTed query is answered by `openssl ts -reply`, signed by a TSA
 * certificate (timeStamping EKU, critical) from its own openssl test CA. The replies are openssl's,
 * not hand-made.
 */
import { createServer, type Server } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { makeEcCa } from './cosign-pki.js';
import { run } from './tools.js';

export interface TestTsa {
  /** `http://127.0.0.1:<port>/tsr`. */
  url: string;
  /** The TSA's root CA (PEM path). */
  rootPem: string;
  /** The TSA's signing certificate (PEM path). */
  tsaPem: string;
  /** DER of the signing certificate and of its root, for a trusted root's `timestampAuthorities`. */
  tsaDer: Buffer;
  rootDer: Buffer;
  /** Queries answered so far. */
  readonly answered: number;
  stop(): Promise<void>;
}

const TS_CONFIG = (dir: string) => `
[tsa_config]
serial = ${dir}/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ess_cert_id_alg = sha256
`;

const TSA_EXT = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=critical,timeStamping',
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
  '',
].join('\n');

/** Makes the TSA PKI in `dir` and starts answering queries. */
export async function startTsa(dir: string): Promise<TestTsa> {
  const root = await makeEcCa(dir, 'tsa-root', '/CN=test TSA root/O=Example Corp');
  const stem = join(dir, 'tsa');
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${stem}.key`, '-out', `${stem}.csr`, '-subj', '/CN=test TSA/O=Example Corp',
  ]); // prettier-ignore
  await writeFile(`${stem}.ext`, TSA_EXT);
  await run('openssl', [
    'x509', '-req', '-in', `${stem}.csr`, '-CA', `${root}.pem`, '-CAkey', `${root}.key`,
    '-CAcreateserial', '-out', `${stem}.pem`, '-days', '10', '-extfile', `${stem}.ext`,
  ]); // prettier-ignore
  await writeFile(join(dir, 'tsaserial'), '01\n');
  await writeFile(join(dir, 'ts.cnf'), TS_CONFIG(dir));
  const der = async (pem: string): Promise<Buffer> => {
    await run('openssl', ['x509', '-in', pem, '-outform', 'DER', '-out', `${pem}.der`]);
    return readFile(`${pem}.der`);
  };

  let answered = 0;
  let seq = 0;
  // One openssl at a time: `openssl ts -reply` increments the serial file in place.
  let queue: Promise<unknown> = Promise.resolve();
  const reply = async (query: Buffer): Promise<Buffer> => {
    const id = seq++;
    const q = join(dir, `q${id}.tsq`);
    const r = join(dir, `q${id}.tsr`);
    await writeFile(q, query);
    await run('openssl', [
      'ts', '-reply', '-config', join(dir, 'ts.cnf'), '-section', 'tsa_config', '-queryfile', q,
      '-signer', `${stem}.pem`, '-inkey', `${stem}.key`, '-chain', `${root}.pem`, '-out', r,
    ]); // prettier-ignore
    return readFile(r);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      const answer = queue.then(() => reply(Buffer.concat(chunks)));
      queue = answer.catch(() => undefined);
      answer.then(
        (body) => {
          answered++;
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(body);
        },
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('TSA server has no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}/tsr`,
    rootPem: `${root}.pem`,
    tsaPem: `${stem}.pem`,
    tsaDer: await der(`${stem}.pem`),
    rootDer: await der(`${root}.pem`),
    get answered() {
      return answered;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

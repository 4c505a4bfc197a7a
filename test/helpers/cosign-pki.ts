import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { run } from './tools.js';

/** An EC P-256 CA made with openssl: returns the path stem (`<stem>.pem`, `<stem>.key`). */
export async function makeEcCa(dir: string, name: string, subject: string): Promise<string> {
  const stem = join(dir, name);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${stem}.key`, '-out', `${stem}.pem`, '-days', '30', '-subj', subject,
  ]); // prettier-ignore
  return stem;
}

/**
 * A code-signing certificate for an existing public key (cosign's own key, via -force_pubkey) issued by
 * `caStem`, so that cosign can attach it and the signer has a subject. Returns the PEM path.
 */
export async function makeCodeSigningCertForKey(
  dir: string,
  name: string,
  subject: string,
  publicKeyPem: string,
  caStem: string,
): Promise<string> {
  const stem = join(dir, name);
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${stem}.tmpkey`, '-out', `${stem}.csr`, '-subj', subject,
  ]); // prettier-ignore
  await writeFile(`${stem}.ext`, 'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n');
  await run('openssl', [
    'x509', '-req', '-in', `${stem}.csr`, '-force_pubkey', publicKeyPem, '-CA', `${caStem}.pem`,
    '-CAkey', `${caStem}.key`, '-CAcreateserial', '-out', `${stem}.pem`, '-days', '10', '-extfile', `${stem}.ext`,
  ]); // prettier-ignore
  return `${stem}.pem`;
}

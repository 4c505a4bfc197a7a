import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { cachedRunInDirSync } from './tool-answers.js';

/**
 * The JDK's PKIX validator (sun.security.provider.certpath) with SHA-1 and MD5 disabled for every
 * certificate (jdk.certpath.disabledAlgorithms; the default restricts SHA-1 only under a JDK root) and
 * revocation off: the first argument is the TrustAnchor, the rest the CertPath from the leaf. Prints OK or
 * the exception's message. Policy checking runs as the JDK runs it by default (any policy, none required).
 */
const JDK_PKIX_CHECK = `
import java.io.*; import java.security.*; import java.security.cert.*; import java.util.*;
public class Check {
  static X509Certificate load(String f) throws Exception {
    try (InputStream in = new FileInputStream(f)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }
  public static void main(String[] a) throws Exception {
    Security.setProperty("jdk.certpath.disabledAlgorithms", "MD2, MD5, SHA1");
    List<X509Certificate> path = new ArrayList<>();
    for (int i = 1; i < a.length; i++) path.add(load(a[i]));
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(load(a[0]), null)));
    params.setRevocationEnabled(false);
    try {
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      System.out.println("OK");
    } catch (CertPathValidatorException e) {
      System.out.println(e.getMessage());
    }
  }
}
`;

/**
 * JDK_PKIX_CHECK's answer for `<anchor>.pem` and the path `<name>.pem...` in `dir`, once a day under
 * `recipe` (a JVM start costs seconds; cachedRunInDirSync keys the answer by the files' bytes).
 */
export function jdkValidate(recipe: string, dir: string, anchor: string, path: string[]): string {
  writeFileSync(join(dir, 'Check.java'), JDK_PKIX_CHECK);
  const pem = (name: string) => join(dir, `${name}.pem`);
  const answer = cachedRunInDirSync(recipe, 'java', dir, [
    join(dir, 'Check.java'),
    pem(anchor),
    ...path.map(pem),
  ]);
  return answer.stdout.trim();
}

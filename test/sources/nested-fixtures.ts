/**
 * Archives inside archives, made with the JDK's `jar` and signed with `jarsigner` (keytool key), plus
 * the two shapes `jar` cannot write, made with Python's zipfile: a deflate bomb and a `..` entry name.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { makeJar, makeSignedJar } from '../helpers/jar/index.js';

export const NESTED_SIGNER_DN = 'CN=Nested Library Signer, OU=Platform, O=Sigscan Tests, C=US';

export interface NestedFixtures {
  /** The scanned tree: app.war, deep.jar, bomb.war. */
  tree: string;
  /** The inner JARs as files (outside the tree), to compare digests and run jarsigner on. */
  signedLib: string;
  plainLib: string;
  /** Inflated bytes of app.war's WEB-INF/lib/broken.jar. */
  broken: string;
}

export function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/**
 * `work/tree/app.war` holds a signed and an unsigned JAR and a `.jar` that is not a ZIP;
 * `deep.jar` nests l1.jar ⊃ l2.jar ⊃ ... ⊃ l5.jar (five levels); `bomb.war` holds a JAR whose one entry
 * inflates 20 MiB of zeros from about 20 KiB.
 */
export function makeNestedFixtures(work: string): NestedFixtures {
  const libs = join(work, 'libs');
  const tree = join(work, 'tree');
  mkdirSync(libs, { recursive: true });
  mkdirSync(tree, { recursive: true });
  const signedLib = makeSignedJar(libs, {
    name: 'signed-lib.jar',
    alias: 'nested',
    keyalg: 'RSA',
    dname: NESTED_SIGNER_DN,
    files: { 'lib/Signed.txt': 'signed library\n' },
  }).path;
  const plainLib = makeJar(join(libs, 'plain-lib.jar'), { 'lib/Plain.txt': 'plain library\n' });
  const broken = 'this is not a ZIP archive\n';
  makeJar(join(tree, 'app.war'), {
    'WEB-INF/web.xml': '<web-app/>\n',
    'WEB-INF/lib/signed-lib.jar': readFileSync(signedLib),
    'WEB-INF/lib/plain-lib.jar': readFileSync(plainLib),
    'WEB-INF/lib/broken.jar': broken,
    'index.html': '<p>hello</p>\n',
  });

  let inner = makeJar(join(libs, 'l5.jar'), { 'five.txt': 'level 5\n' });
  for (let level = 4; level >= 1; level--) {
    inner = makeJar(join(libs, `l${level}.jar`), {
      [`l${level + 1}.jar`]: readFileSync(inner),
      [`level${level}.txt`]: `level ${level}\n`,
    });
  }
  makeJar(join(tree, 'deep.jar'), { 'l1.jar': readFileSync(inner) });

  const bomb = join(libs, 'bomb.jar');
  python(
    [
      'import sys, zipfile',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\\r\\n\\r\\n")',
      '    with z.open("zeros.bin", "w") as f:',
      '        for _ in range(20): f.write(bytes(1 << 20))',
    ],
    [bomb],
  );
  makeJar(join(tree, 'bomb.war'), { 'WEB-INF/lib/bomb.jar': readFileSync(bomb) });
  return { tree, signedLib, plainLib, broken };
}

/** A WAR with an entry named `../evil.jar` next to `WEB-INF/lib/ok.jar` (both real JARs). */
export function makeDotDotWar(path: string, jar: string): void {
  python(
    [
      'import sys, zipfile',
      'data = open(sys.argv[2], "rb").read()',
      'with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:',
      '    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\\r\\n\\r\\n")',
      '    z.writestr("../evil.jar", data)',
      '    z.writestr("WEB-INF/lib/ok.jar", data)',
    ],
    [path, jar],
  );
}

function python(lines: string[], args: string[]): void {
  execFileSync('python3', ['-c', lines.join('\n'), ...args], { stdio: 'pipe' });
}

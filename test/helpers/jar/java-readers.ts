/**
 * How the JDK's own readers see a JAR: java.util.jar.JarFile (what `java -jar`, class loaders and
 * jarsigner use) and java.util.jar.JarInputStream (streaming tools). A tiny Java program, compiled with
 * javac into a temp directory once per test file, prints one line per entry with whether the JDK
 * verified a signer for it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { run } from '../tools.js';

const SOURCE = `
import java.io.*;
import java.util.*;
import java.util.jar.*;

public class JarReaders {
  static String read(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    in.transferTo(out);
    return out.toString("UTF-8");
  }
  static String status(JarEntry e) {
    return e.getCodeSigners() == null ? "unsigned" : "signed";
  }
  public static void main(String[] args) throws Exception {
    String mode = args[0];
    try {
      if (mode.equals("zipfile")) {
        try (JarFile jf = new JarFile(args[1], true)) {
          for (Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements();) {
            JarEntry e = en.nextElement();
            if (e.isDirectory()) continue;
            try (InputStream in = jf.getInputStream(e)) { read(in); }
            System.out.println(e.getName() + "\\t" + status(e));
          }
        }
      } else if (mode.equals("stream")) {
        try (JarInputStream in = new JarInputStream(new FileInputStream(args[1]), true)) {
          for (JarEntry e; (e = in.getNextJarEntry()) != null;) {
            if (e.isDirectory()) continue;
            read(in);
            System.out.println(e.getName() + "\\t" + status(e));
          }
        }
      } else if (mode.equals("get")) {
        try (JarFile jf = new JarFile(args[1], true)) {
          JarEntry e = jf.getJarEntry(args[2]);
          if (e == null) { System.out.println("null"); return; }
          String content;
          try (InputStream in = jf.getInputStream(e)) { content = read(in); }
          System.out.println(e.getName() + "\\t" + status(e) + "\\t" + content.trim());
        }
      }
    } catch (SecurityException | IOException ex) {
      System.out.println("EXCEPTION\\t" + ex.getClass().getSimpleName() + "\\t" + ex.getMessage());
    }
  }
}
`;

export interface JavaReaders {
  /** JarFile: each file entry (read in full, so verification ran) and whether it is signed. */
  zipFile(jar: string): Promise<string[]>;
  /** JarInputStream, from byte 0 on. */
  stream(jar: string): Promise<string[]>;
  /** JarFile.getJarEntry(name): `<entry name>\t<signed|unsigned>\t<content>`, or `null`. */
  get(jar: string, name: string): Promise<string>;
}

export async function compileJavaReaders(dir: string): Promise<JavaReaders> {
  writeFileSync(join(dir, 'JarReaders.java'), SOURCE);
  await run('javac', ['-d', dir, join(dir, 'JarReaders.java')]);
  const java = async (...args: string[]) =>
    (await run('java', ['-cp', dir, 'JarReaders', ...args])).stdout.split('\n').filter((l) => l !== '');
  return {
    zipFile: (jar) => java('zipfile', jar),
    stream: (jar) => java('stream', jar),
    get: async (jar, name) => (await java('get', jar, name)).join('\n'),
  };
}

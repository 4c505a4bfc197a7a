import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeScriptDetector } from '../../src/detectors/authenticode-script.js';
import { readScriptSignature, scriptStyle } from '../../src/formats/script.js';
import {
  containerMatrix,
  detectWith,
  evaluateWith,
  trustConfig,
} from '../helpers/authenticode/containers.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';

const SCRIPT = 'param([string]$Name = "world")\r\nWrite-Host "Hello, $Name"\r\n# ünïcödé 日本\r\n';

const { fixtures } = containerMatrix({
  format: 'script',
  detector: authenticodeScriptDetector,
  extension: '.ps1',
  makeUnsigned: async (dir) => {
    const path = join(dir, 'unsigned.ps1');
    writeFileSync(path, SCRIPT);
    return path;
  },
  tamper: (bytes) => {
    bytes[0] = bytes[0]! ^ 0x01;
    return bytes;
  },
});

const text = (path: string) => readFileSync(path, 'latin1');
const write = (name: string, content: string | Uint8Array) => {
  const path = join(fixtures().dir, name);
  writeFileSync(path, typeof content === 'string' ? Buffer.from(content, 'latin1') : content);
  return path;
};
const ownRoot = async () => trustConfig({ roots: [fixtures().pki.caPem] });

describe('script signature blocks: readings that could differ are refused', () => {
  it('UTF-16LE with a BOM is hashed as stored, and verifies like osslsigncode', async () => {
    const f = fixtures();
    const input = write(
      'utf16.ps1',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SCRIPT, 'utf16le')]),
    );
    const signed = await f.sign(input, 'utf16-signed');
    const tool = await osslsigncodeVerifyWith(signed, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeScriptDetector, signed, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(o!.evidence.details?.['scriptEncoding']).toBe('utf-16le');
    expect(tool.passed, tool.output).toBe(true);
  });

  it('UTF-8 with a BOM: the BOM is hashed as U+FEFF, as osslsigncode does', async () => {
    const f = fixtures();
    const input = write(
      'bom.ps1',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(SCRIPT, 'utf8')]),
    );
    const signed = await f.sign(input, 'bom-signed');
    const tool = await osslsigncodeVerifyWith(signed, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeScriptDetector, signed, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(o!.evidence.details?.['scriptEncoding']).toBe('utf-8');
    expect(tool.passed, tool.output).toBe(true);
  });

  it('text after the end line: osslsigncode accepts it, we refuse (it runs unsigned)', async () => {
    const f = fixtures();
    const path = write('after.ps1', text(f.signed) + 'Remove-Item -Recurse C:\\\r\n');
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SCRIPT_CONTENT_AFTER_SIGNATURE' });
    expect(tool.passed).toBe(true);
  });

  it('blank lines after the end line are not content', async () => {
    const path = write('blank-after.ps1', text(fixtures().signed) + '\r\n  \r\n');
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('a second signature block after the first is refused', async () => {
    const f = fixtures();
    const signed = text(f.signed);
    const block = signed.slice(signed.indexOf('# SIG # Begin'));
    const path = write('twice.ps1', signed + block);
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SCRIPT_DUPLICATE_SIGNATURE_BLOCK' });
  });

  it('a command line inside the block: osslsigncode skips to the next "# " and accepts, PowerShell runs it; we refuse', async () => {
    const f = fixtures();
    const signed = text(f.signed);
    const at = signed.indexOf('\r\n', signed.indexOf('# SIG # Begin')) + 2;
    const path = write('junk-line.ps1', signed.slice(0, at) + 'Start-Process calc\r\n' + signed.slice(at));
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SCRIPT_SIGNATURE_BLOCK_MALFORMED' });
    expect(tool.passed, tool.output).toBe(true);
  });

  it('text after the begin marker on its line is refused', async () => {
    const signed = text(fixtures().signed);
    const path = write(
      'marker.ps1',
      signed.replace('# SIG # Begin signature block', '# SIG # Begin signature blockX'),
    );
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SCRIPT_SIGNATURE_BLOCK_MALFORMED' });
  });

  it('content that is not UTF-8 is refused: readers convert invalid bytes differently', async () => {
    const f = fixtures();
    const input = write('latin1.ps1', 'Write-Host "caf\xe9"\r\n');
    const signed = await f.sign(input, 'latin1-signed');
    const [o] = await evaluateWith(authenticodeScriptDetector, signed, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'SCRIPT_ENCODING_AMBIGUOUS' });
  });

  it('a PE signature moved into a script names another subject', async () => {
    const f = fixtures();
    const exe = await import('../helpers/pe/signed-pe.js').then(async (h) =>
      h.makeSignedPe(f.pki, await h.compileTinyPe(f.dir), join(f.dir, 'moved.exe')),
    );
    const { readPeAuthenticode } = await import('../../src/formats/pe/index.js');
    const der = readPeAuthenticode(new Uint8Array(readFileSync(exe))).signatures[0]!.signature.signedDataDer;
    const b64 = Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g)!;
    const block = [
      '# SIG # Begin signature block',
      ...b64.map((l) => `# ${l}`),
      '# SIG # End signature block',
    ];
    const path = write('moved.ps1', Buffer.from(SCRIPT + '\r\n' + block.join('\r\n') + '\r\n', 'utf8'));
    const [e] = await detectWith(authenticodeScriptDetector, path, 'script');
    expect(e!.findings?.map((x) => x.code)).toEqual(['IMAGE_HASH_MISMATCH', 'SIGNED_SUBJECT_TYPE_MISMATCH']);
  });

  it('JScript: the same SIP hash under // SIG // comments (no oracle: Debian osslsigncode 2.9 predates .js)', async () => {
    const signed = text(fixtures().signed);
    const start = signed.indexOf('\r\n# SIG # Begin');
    const block = signed
      .slice(start)
      .replace('# SIG # Begin signature block', '// SIG // Begin signature block')
      .replace('# SIG # End signature block', '// SIG // End signature block')
      .replace(/\r\n# /g, '\r\n// SIG // ');
    const path = write('moved.js', signed.slice(0, start) + block);
    const [o] = await evaluateWith(authenticodeScriptDetector, path, 'script', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    // The PowerShell block in a .js file is a comment JScript ignores: not a signature there.
    const ps = write('ps-block.js', signed);
    expect(await detectWith(authenticodeScriptDetector, ps, 'script')).toEqual([]);
  });
});

describe('readScriptSignature', () => {
  const sig = (t: string, style = scriptStyle('a.ps1')!) =>
    readScriptSignature(Buffer.from(t, 'utf8'), style);

  it('the hash ends before the CRLF that precedes the block', () => {
    const r = sig('a\r\nb\r\n# SIG # Begin signature block\r\n# MA==\r\n# SIG # End signature block\r\n');
    expect(r.signedLength).toBe(4);
    expect(r.blockLine).toBe(3);
    expect(Buffer.from(r.signatureDer!)).toEqual(Buffer.from([0x30]));
  });

  it('with LF endings only the LF is dropped', () => {
    const r = sig('a\nb\n# SIG # Begin signature block\n# MA==\n# SIG # End signature block\n');
    expect(r.signedLength).toBe(3);
  });

  it('no block: the whole text is covered and there is no signature', () => {
    const r = sig('a\r\nb\r\n');
    expect(r.signatureDer).toBeUndefined();
    expect(r.signedLength).toBe(6);
  });

  it('a block on the first line, a block without end, UTF-16BE and odd UTF-16 are malformed', () => {
    expect(() => sig('# SIG # Begin signature block\n# MA==\n# SIG # End signature block\n')).toThrow(
      /first line/,
    );
    expect(() => sig('a\n# SIG # Begin signature block\n# MA==\n')).toThrow(/no end line/);
    expect(() => readScriptSignature(new Uint8Array([0xfe, 0xff, 0, 0x61]), 'hash')).toThrow(/big-endian/);
    expect(() => readScriptSignature(new Uint8Array([0xff, 0xfe, 0x61]), 'hash')).toThrow(/odd length/);
  });

  it('comment styles by extension', () => {
    expect(
      ['a.PS1', 'a.psm1', 'a.psd1', 'a.ps1xml', 'a.psc1', 'a.cdxml', 'a.mof', 'a.js', 'a.vbs'].map(
        scriptStyle,
      ),
    ).toEqual(['hash', 'hash', 'hash', 'xml', 'xml', 'xml', 'c', 'js', undefined]);
  });

  it('XML comments: <!-- SIG # ... --> lines', () => {
    const r = sig(
      '<a/>\r\n<!-- SIG # Begin signature block -->\r\n<!-- MA== -->\r\n<!-- SIG # End signature block -->\r\n',
      'xml',
    );
    expect(r.problems).toEqual([]);
    expect(r.signedLength).toBe(4);
  });
});

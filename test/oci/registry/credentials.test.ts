import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { credentialFromDockerConfig, resolveCredential } from '../../../src/oci/registry/credentials.js';

describe('Docker config.json credentials', () => {
  let dir: string;
  const oldPath = process.env.PATH;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-cred-'));
    // A real credential helper speaking the docker-credential-helpers protocol: URL on stdin, JSON out.
    await writeFile(
      join(dir, 'docker-credential-sigscantest'),
      '#!/bin/sh\nread url\nif [ "$url" = "helper.example:5000" ]; then\n  printf \'{"ServerURL":"%s","Username":"robot","Secret":"s3cret;$(id)"}\' "$url"\nelse\n  echo "credentials not found in native keychain"; exit 1\nfi\n',
    );
    await chmod(join(dir, 'docker-credential-sigscantest'), 0o755);
    process.env.PATH = `${dir}:${oldPath}`;
  });

  afterAll(async () => {
    process.env.PATH = oldPath;
    await rm(dir, { recursive: true, force: true });
  });

  it('decodes base64 auth, splitting at the first colon', async () => {
    const auth = Buffer.from('alice:pa:ss\0').toString('base64');
    expect(
      await credentialFromDockerConfig('reg.example:443', { auths: { 'reg.example:443': { auth } } }),
    ).toMatchObject({
      username: 'alice',
      password: 'pa:ss',
    });
  });

  it('matches old-style keys by host and maps Docker Hub to its historical key', async () => {
    const auth = Buffer.from('bob:pw').toString('base64');
    expect(
      await credentialFromDockerConfig('reg.example', { auths: { 'https://reg.example/v1/': { auth } } }),
    ).toMatchObject({ username: 'bob' });
    expect(
      await credentialFromDockerConfig('docker.io', { auths: { 'https://index.docker.io/v1/': { auth } } }),
    ).toMatchObject({ username: 'bob' });
  });

  it('runs a credential helper without a shell and treats "not found" as anonymous', async () => {
    const config = { credHelpers: { 'helper.example:5000': 'sigscantest' }, credsStore: 'sigscantest' };
    const found = await credentialFromDockerConfig('helper.example:5000', config);
    // The secret came back literally: `$(id)` was never expanded by a shell.
    expect(found).toMatchObject({ username: 'robot', password: 's3cret;$(id)' });
    expect(await credentialFromDockerConfig('other.example', config)).toBeUndefined();
  });

  it('prefers flags, then environment, then the config file', async () => {
    const cfg = join(dir, 'config.json');
    await writeFile(
      cfg,
      JSON.stringify({ auths: { 'r.example': { auth: Buffer.from('file:f').toString('base64') } } }),
    );
    expect(
      await resolveCredential('r.example', { username: 'u', password: 'p', dockerConfig: cfg }),
    ).toMatchObject({
      source: 'flags',
    });
    expect(
      await resolveCredential('r.example', {
        dockerConfig: cfg,
        env: { SIGSCAN_USERNAME: 'e', SIGSCAN_PASSWORD: 'x' },
      }),
    ).toMatchObject({ username: 'e', source: 'env' });
    expect(await resolveCredential('r.example', { dockerConfig: cfg, env: {} })).toMatchObject({
      username: 'file',
    });
    await expect(resolveCredential('r.example', { username: 'u' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

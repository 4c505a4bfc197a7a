import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  identityMatches,
  loadTrustPolicy,
  parseDistinguishedName,
  parseTrustPolicy,
  selectStatement,
  TrustPolicyError,
} from '../../../src/trust/notation/trustpolicy.js';
import { policy, statement, tempDir } from './support.js';

const invalid = (doc: unknown, message: RegExp) => {
  expect(() => parseTrustPolicy(doc)).toThrow(TrustPolicyError);
  expect(() => parseTrustPolicy(doc)).toThrow(message);
};

describe('parseTrustPolicy: a valid document', () => {
  it('reads the formats.md example with level, override, verifyTimestamp, stores and identities', () => {
    const doc = parseTrustPolicy({
      version: '1.0',
      trustPolicies: [
        {
          name: 'wabbit-networks-images',
          registryScopes: ['registry.acme-rockets.io/software/net-monitor'],
          signatureVerification: {
            level: 'strict',
            override: { expiry: 'log' },
            verifyTimestamp: 'afterCertExpiry',
          },
          trustStores: ['ca:wabbit-networks', 'tsa:publicly-trusted-tsa'],
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io, OU=Security Tools'],
        },
      ],
    });
    const s = doc.statements[0]!;
    expect(s.level).toBe('strict');
    expect(s.actions).toEqual({
      integrity: 'enforce',
      authenticity: 'enforce',
      authenticTimestamp: 'enforce',
      expiry: 'log',
      revocation: 'enforce',
    });
    expect(s.verifyTimestamp).toBe('afterCertExpiry');
    expect(s.trustStores).toEqual([
      { type: 'ca', name: 'wabbit-networks' },
      { type: 'tsa', name: 'publicly-trusted-tsa' },
    ]);
    expect(s.trustedIdentities).not.toBe('any');
    const id = (s.trustedIdentities as Array<{ attributes: Map<string, string> }>)[0]!;
    expect(Object.fromEntries(id.attributes)).toEqual({
      C: 'US',
      ST: 'WA',
      O: 'wabbit-networks.io',
      OU: 'Security Tools',
    });
  });

  it('applies the level table: permissive logs timestamp/expiry/revocation, audit also authenticity', () => {
    const doc = parseTrustPolicy(
      policy(
        statement({ name: 'p', registryScopes: ['r.io/a'], signatureVerification: { level: 'permissive' } }),
        statement({ name: 'a', registryScopes: ['r.io/b'], signatureVerification: { level: 'audit' } }),
        {
          name: 's',
          registryScopes: ['r.io/c'],
          signatureVerification: { level: 'skip' },
        },
      ),
    );
    const [p, a, s] = doc.statements;
    expect(p!.actions).toMatchObject({ authenticity: 'enforce', authenticTimestamp: 'log', expiry: 'log' });
    expect(a!.actions).toMatchObject({ integrity: 'enforce', authenticity: 'log', revocation: 'log' });
    expect(s!.level).toBe('skip');
    expect(p!.verifyTimestamp).toBe('always');
  });

  it('allows revocation: skip as an override', () => {
    const doc = parseTrustPolicy(
      policy(statement({ signatureVerification: { level: 'strict', override: { revocation: 'skip' } } })),
    );
    expect(doc.statements[0]!.actions.revocation).toBe('skip');
  });
});

describe('parseTrustPolicy: invalid documents are rejected with a clear error', () => {
  it('version missing or not 1.0', () => {
    invalid({ trustPolicies: [statement()] }, /"version" is missing/);
    invalid({ version: '2.0', trustPolicies: [statement()] }, /version "2.0" is not supported/);
  });
  it('no statements', () => invalid({ version: '1.0', trustPolicies: [] }, /non-empty list/));
  it('statement without a name, or two with the same name', () => {
    invalid(policy(statement({ name: '' })), /has no "name"/);
    invalid(
      policy(statement({ registryScopes: ['r.io/a'] }), statement({ registryScopes: ['r.io/b'] })),
      /more than one trust policy statement is named "test"/,
    );
  });
  it('registryScopes missing or empty', () => {
    invalid(policy(statement({ registryScopes: [] })), /"registryScopes" must be a non-empty list/);
    invalid(policy(statement({ registryScopes: undefined })), /"registryScopes"/);
  });
  it('the same scope in two statements, or twice in one', () => {
    invalid(
      policy(
        statement({ name: 'a', registryScopes: ['r.io/x'] }),
        statement({ name: 'b', registryScopes: ['r.io/x'] }),
      ),
      /registry scope "r.io\/x" appears in statements "a" and "b"/,
    );
    invalid(
      policy(statement({ registryScopes: ['r.io/x', 'r.io/x'] })),
      /lists registry scope "r.io\/x" twice/,
    );
  });
  it('two global statements', () => {
    invalid(policy(statement({ name: 'a' }), statement({ name: 'b' })), /both use the global scope "\*"/);
  });
  it('"*" mixed with other scopes', () => {
    invalid(policy(statement({ registryScopes: ['*', 'r.io/x'] })), /must be the only registry scope/);
  });
  it('scopes with wildcards, tags, digests, or without a host', () => {
    invalid(policy(statement({ registryScopes: ['r.io/team/*'] })), /wildcards are not allowed/);
    invalid(policy(statement({ registryScopes: ['r.io/team/app:1.0'] })), /a tag is not allowed/);
    invalid(policy(statement({ registryScopes: ['r.io/app@sha256:abcd'] })), /a digest is not allowed/);
    invalid(policy(statement({ registryScopes: ['registry'] })), /fully qualified repository/);
    invalid(policy(statement({ registryScopes: ['r.io/Team/App'] })), /not a valid \(lowercase\)/);
  });
  it('skip as the global policy', () => {
    invalid(
      policy({ name: 'g', registryScopes: ['*'], signatureVerification: { level: 'skip' } }),
      /global policy \("\*"\) and may not use level "skip"/,
    );
  });
  it('skip with trust stores or identities, or customised by override', () => {
    invalid(
      policy(statement({ registryScopes: ['r.io/x'], signatureVerification: { level: 'skip' } })),
      /level "skip" verifies nothing/,
    );
    invalid(
      policy({
        name: 's',
        registryScopes: ['r.io/x'],
        signatureVerification: { level: 'skip', override: { expiry: 'log' } },
      }),
      /level "skip" cannot be customised/,
    );
  });
  it('unknown level, missing signatureVerification', () => {
    invalid(policy(statement({ signatureVerification: { level: 'lenient' } })), /"lenient" is not one of/);
    invalid(policy(statement({ signatureVerification: undefined })), /"signatureVerification" is missing/);
  });
  it('overriding integrity, an unknown check, or a value the check does not take', () => {
    invalid(
      policy(statement({ signatureVerification: { level: 'strict', override: { integrity: 'log' } } })),
      /the integrity check cannot be overridden/,
    );
    invalid(
      policy(statement({ signatureVerification: { level: 'strict', override: { freshness: 'log' } } })),
      /"freshness" is not a check that can be overridden/,
    );
    invalid(
      policy(statement({ signatureVerification: { level: 'strict', override: { authenticity: 'skip' } } })),
      /override authenticity="skip" is not allowed/,
    );
  });
  it('bad verifyTimestamp', () => {
    invalid(
      policy(statement({ signatureVerification: { level: 'strict', verifyTimestamp: 'never' } })),
      /verifyTimestamp "never"/,
    );
  });
  it('missing trust stores or identities for a verifying level', () => {
    invalid(policy(statement({ trustStores: [] })), /both "trustStores" and "trustedIdentities"/);
    invalid(policy(statement({ trustedIdentities: [] })), /both "trustStores" and "trustedIdentities"/);
  });
  it('trust store references that are not type:name', () => {
    invalid(policy(statement({ trustStores: ['x509:foo'] })), /type ca, signingAuthority or tsa/);
    invalid(policy(statement({ trustStores: ['ca'] })), /type ca, signingAuthority or tsa/);
    invalid(policy(statement({ trustStores: ['ca:../etc'] })), /may contain only letters/);
    invalid(policy(statement({ trustStores: ['ca:a', 'ca:a'] })), /listed twice/);
  });
  it('"*" mixed with other identities', () => {
    invalid(
      policy(statement({ trustedIdentities: ['*', 'x509.subject: C=US, ST=WA, O=acme'] })),
      /"\*" must be the only entry/,
    );
  });
  it('identities without the x509.subject prefix or the mandatory C, ST, O', () => {
    invalid(
      policy(statement({ trustedIdentities: ['C=US, ST=WA, O=acme'] })),
      /must be "\*" or start with "x509.subject:"/,
    );
    invalid(policy(statement({ trustedIdentities: ['x509.subject: C=US, O=acme'] })), /lacks ST/);
    invalid(policy(statement({ trustedIdentities: ['x509.subject: ST=WA, O=acme'] })), /lacks C/);
  });
  it('overlapping identities (one a subset of another, or equal)', () => {
    invalid(
      policy(
        statement({
          trustedIdentities: [
            'x509.subject: C=US, ST=WA, O=acme',
            'x509.subject: C=US, ST=WA, O=acme, CN=signer',
          ],
        }),
      ),
      /overlap/,
    );
    invalid(
      policy(
        statement({
          trustedIdentities: ['x509.subject: C=US, ST=WA, O=acme', 'x509.subject: O=acme,ST=WA,C=US'],
        }),
      ),
      /overlap/,
    );
  });
  it('identities with duplicate attributes or multi-valued RDNs', () => {
    invalid(
      policy(statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=a, O=b'] })),
      /more than once/,
    );
    invalid(
      policy(statement({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=a+OU=b'] })),
      /multi-valued/,
    );
  });
});

describe('distinguished names in trusted identities', () => {
  it('reads S as ST and upper-cases attribute types', () => {
    expect(Object.fromEntries(parseDistinguishedName('c=US, s=WA, o=acme'))).toEqual({
      C: 'US',
      ST: 'WA',
      O: 'acme',
    });
  });
  it('unescapes \\, \\; \\\\ and significant leading/trailing spaces', () => {
    const dn = parseDistinguishedName('C=US, ST=WA, O=acme\\, inc\\; \\\\ dept, OU=\\ padded\\ , CN=x');
    expect(dn.get('O')).toBe('acme, inc; \\ dept');
    expect(dn.get('OU')).toBe(' padded ');
    expect(dn.get('CN')).toBe('x');
  });
  it('reads hex escapes as UTF-8', () => {
    expect(parseDistinguishedName('C=US, ST=WA, O=caf\\C3\\A9').get('O')).toBe('café');
  });
  it('rejects bad escapes and empty values', () => {
    expect(() => parseDistinguishedName('C=US, O=a\\q')).toThrow(/not a valid escape/);
    expect(() => parseDistinguishedName('C=US, O=')).toThrow(/empty value/);
  });
  it('matches a leaf subject when every listed attribute is equal (extra leaf attributes are fine)', () => {
    const identity = { raw: '', attributes: parseDistinguishedName('C=US, ST=WA, O=acme') };
    const leaf = new Map([
      ['C', ['US']],
      ['ST', ['WA']],
      ['O', ['acme']],
      ['CN', ['signer']],
    ]);
    expect(identityMatches(identity, leaf)).toBe(true);
    expect(identityMatches(identity, new Map([...leaf, ['O', ['acme inc']]]))).toBe(false);
    expect(
      identityMatches(
        identity,
        new Map([
          ['C', ['US']],
          ['O', ['acme']],
        ]),
      ),
    ).toBe(false);
  });
});

describe('statement selection', () => {
  const doc = parseTrustPolicy(
    policy(
      statement({ name: 'exact', registryScopes: ['r.io/team/app', 'r.io/team/other'] }),
      statement({ name: 'global' }),
    ),
  );
  it('an exact repository match wins over the global statement', () => {
    expect(selectStatement(doc, 'r.io/team/app')?.name).toBe('exact');
  });
  it('no prefix matching: other repositories fall to the global statement', () => {
    expect(selectStatement(doc, 'r.io/team/app/sub')?.name).toBe('global');
    expect(selectStatement(doc, 'r.io/team')?.name).toBe('global');
  });
  it('without a global statement, an unlisted repository has no policy', () => {
    const only = parseTrustPolicy(policy(statement({ registryScopes: ['r.io/team/app'] })));
    expect(selectStatement(only, 'r.io/team/else')).toBeUndefined();
  });
});

describe('loadTrustPolicy', () => {
  it('prefers trustpolicy.oci.json, falls back to the legacy trustpolicy.json', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'trustpolicy.json'), JSON.stringify(policy(statement({ name: 'legacy' }))));
    expect((await loadTrustPolicy(dir)).statements[0]!.name).toBe('legacy');
    writeFileSync(join(dir, 'trustpolicy.oci.json'), JSON.stringify(policy(statement({ name: 'oci' }))));
    expect((await loadTrustPolicy(dir)).statements[0]!.name).toBe('oci');
  });
  it('reports a missing policy, bad JSON and a symlinked policy file', async () => {
    const dir = tempDir();
    await expect(loadTrustPolicy(dir)).rejects.toThrow(/no trustpolicy.oci.json/);
    writeFileSync(join(dir, 'real.json'), JSON.stringify(policy(statement())));
    symlinkSync(join(dir, 'real.json'), join(dir, 'trustpolicy.oci.json'));
    await expect(loadTrustPolicy(dir)).rejects.toThrow(/symlinks are not accepted/);
    const other = tempDir();
    mkdirSync(join(other, 'x'));
    writeFileSync(join(other, 'trustpolicy.oci.json'), '{"version":');
    await expect(loadTrustPolicy(other)).rejects.toThrow(/is not valid JSON/);
  });
});

describe('parseDistinguishedName: RFC 4514 details', () => {
  const dn = (text: string) => Object.fromEntries(parseDistinguishedName(text));

  it.each<[string, Record<string, string>]>([
    ['C=US, ST=WA,  O=acme', { C: 'US', ST: 'WA', O: 'acme' }],
    ['C=US;ST=WA; O=acme', { C: 'US', ST: 'WA', O: 'acme' }],
    // Spaces after "=" are skipped; trailing ones trimmed unless escaped.
    ['ST=  WA,O=acme  ', { ST: 'WA', O: 'acme' }],
    ['O=acme\\ ,CN=x', { O: 'acme ', CN: 'x' }],
    ['O=a\\,b\\;c\\+d', { O: 'a,b;c+d' }],
    ['O=caf\\c3\\a9', { O: 'café' }],
    ['O=\\c3\\a9 ', { O: 'é' }],
    ['1.2.3=x,12.34=y', { '1.2.3': 'x', '12.34': 'y' }],
    ['a-1=z', { 'A-1': 'z' }],
  ])('%j → %j', (text, expected) => {
    expect(dn(text)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['', 'the distinguished name is empty'],
    ['   ', 'the distinguished name is empty'],
    ['O=a,b', '"b" is not an attribute=value pair'],
    ['O+CN=x', '"O" has no value'],
    ['O,CN=x', '"O" has no value'],
    ['O;CN=x', '"O" has no value'],
    ['1=x', '"1" is not an attribute type'],
    ['1.2.3x=y', '"1.2.3x" is not an attribute type'],
    ['x1.2=y', '"x1.2" is not an attribute type'],
    ['1a=b', '"1a" is not an attribute type'],
    ['a.b=x', '"a.b" is not an attribute type'],
    ['a.1=x', '"a.1" is not an attribute type'],
    ['1.a=x', '"1.a" is not an attribute type'],
    ['O=\\ff', 'hex escapes \\ff are not valid UTF-8'],
    ['O=\\4x', '"\\4" is not a valid escape'],
  ])('%j is refused: %s', (text, message) => {
    expect(() => parseDistinguishedName(text)).toThrow(message);
  });
});

describe('parseTrustPolicy: shapes notation-go refuses', () => {
  const parse =
    (...statements: Array<Record<string, unknown>>) =>
    () =>
      parseTrustPolicy(policy(...statements));
  const fails = (thunk: () => unknown, message: string) => {
    let err: unknown;
    try {
      thunk();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustPolicyError);
    expect((err as Error).name).toBe('TrustPolicyError');
    expect((err as Error).message).toBe(`trust policy trustpolicy.oci.json: ${message}`);
  };

  it('the document and each statement must be objects (not arrays)', () => {
    fails(() => parseTrustPolicy([]), 'the document is not a JSON object');
    fails(
      () => parseTrustPolicy({ version: '1.0', trustPolicies: [[]] }),
      'trustPolicies[0] is not an object',
    );
  });

  it('field types', () => {
    fails(parse(statement({ registryScopes: [1] })), 'statement "test": registry scopes must be strings');
    fails(parse(statement({ trustStores: 'ca:test' })), 'statement "test": "trustStores" must be a list');
    fails(
      parse(statement({ trustedIdentities: '*' })),
      'statement "test": "trustedIdentities" must be a list',
    );
    fails(
      parse(statement({ trustStores: [1] })),
      'statement "test": trust stores must be strings "type:name"',
    );
    fails(
      parse(statement({ trustedIdentities: [1] })),
      'statement "test": trusted identities must be strings',
    );
    fails(
      parse(statement({ signatureVerification: { level: 'strict', override: [] } })),
      'statement "test": "override" must be an object',
    );
  });

  it('override: allowed on strict, an empty one allowed on skip, a bad action named', () => {
    const doc = parseTrustPolicy(
      policy(statement({ signatureVerification: { level: 'strict', override: { expiry: 'log' } } })),
    );
    expect(doc.statements[0]!.actions.expiry).toBe('log');
    const skip = parseTrustPolicy(
      policy(
        statement({
          signatureVerification: { level: 'skip', override: {} },
          registryScopes: ['registry.example/team/app'],
          trustStores: [],
          trustedIdentities: [],
        }),
      ),
    );
    expect(skip.statements[0]!.level).toBe('skip');
    fails(
      parse(statement({ signatureVerification: { level: 'strict', override: { expiry: 'enforce!' } } })),
      'statement "test": override expiry="enforce!" is not allowed; use enforce or log',
    );
  });

  it('trusted identity prefix: spaces around x509.subject are allowed, another prefix is not', () => {
    const doc = parseTrustPolicy(
      policy(statement({ trustedIdentities: [' x509.subject :C=US,ST=WA,O=acme'] })),
    );
    expect(doc.statements[0]!.trustedIdentities).not.toBe('any');
    fails(
      parse(statement({ trustedIdentities: ['x509.san:C=US,ST=WA,O=acme'] })),
      'statement "test": trusted identity "x509.san:C=US,ST=WA,O=acme" must be "*" or start with "x509.subject:"',
    );
    fails(
      parse(statement({ trustedIdentities: ['C=US'] })),
      'statement "test": trusted identity "C=US" must be "*" or start with "x509.subject:"',
    );
  });
});

describe('parseTrustPolicy: names, skip statements and registry scopes', () => {
  const parse = (stmt: Record<string, unknown>) => () => parseTrustPolicy(policy(stmt));

  it('a blank name is no name', () => {
    expect(parse(statement({ name: '   ' }))).toThrow(
      'trust policy trustpolicy.oci.json: trustPolicies[0] has no "name"',
    );
  });

  it('skip lists neither trust stores nor identities, not even one of them', () => {
    expect(
      parse({
        name: 'skip',
        registryScopes: ['registry.example/team/app'],
        signatureVerification: { level: 'skip' },
        trustStores: ['ca:test'],
      }),
    ).toThrow('statement "skip": level "skip" verifies nothing');
  });

  it.each(['registry.example/ab.cd/e--f/g__h/i_j', 'localhost:5000/team/app', 'registry.example/a'])(
    '%s is a valid scope',
    (scope) => {
      expect(
        parseTrustPolicy(policy(statement({ registryScopes: [scope] }))).statements[0]!.registryScopes,
      ).toEqual([scope]);
    },
  );

  it.each<[string, string]>([
    ['registry.example/', 'it must be a fully qualified repository, host/namespace/repository'],
    ['/team/app', 'it must be a fully qualified repository, host/namespace/repository'],
    ['registry.example/a.!', 'the repository path is not a valid (lowercase) OCI repository name'],
    ['registry.example/Team/app', 'the repository path is not a valid (lowercase) OCI repository name'],
    ['registry.example/a-', 'the repository path is not a valid (lowercase) OCI repository name'],
  ])('%s is refused: %s', (scope, message) => {
    expect(parse(statement({ registryScopes: [scope] }))).toThrow(message);
  });
});

describe('loadTrustPolicy: the policy file must be a regular file', () => {
  it('a directory named trustpolicy.oci.json is refused', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'trustpolicy.oci.json'));
    await expect(loadTrustPolicy(dir)).rejects.toThrow('is not a regular file (symlinks are not accepted)');
  });
});

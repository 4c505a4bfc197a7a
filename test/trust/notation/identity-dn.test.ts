/**
 * Notation trusted identities matched as notation-go matches them (issue #11): its own examples as a
 * table, then leaves signed by the notation test signer whose subjects notation-go cannot match.
 *
 * Tables transcribed from notaryproject/notation-go @ a48f22835cb5: internal/pkix/pkix_test.go
 * (TestParseDistinguishedName, TestIsSubsetDN) and verifier/trustpolicy/trustpolicy_test.go
 * (TestValidateTrustedIdentities). Leaf rules: verifier/verifier.go verifyX509TrustedIdentities parses
 * `leafCert.Subject.String()` with pkix.ParseDistinguishedName and matches with pkix.IsSubsetDN.
 */
import { describe, expect, it } from 'vitest';

import { isSubset, parseTrustPolicy } from '../../../src/trust/notation/trustpolicy.js';
import { testLeafWithSubject, testPki } from '../../helpers/notation/pki.js';
import { signNotation } from '../../helpers/notation/sign.js';
import {
  config,
  evaluate,
  evidenceFor,
  notationDir,
  policy,
  REGISTRY,
  REPOSITORY,
  sampleImage,
  statement,
} from './support.js';

const SCOPE = `${REGISTRY}/${REPOSITORY}`;

/** [name, trustedIdentities, notation-go accepts the policy]. */
const POLICY_TABLE: Array<[string, string[], boolean]> = [
  // TestParseDistinguishedName
  ['valid DN', ['C=US,ST=California,O=Notary Project'], true],
  ['valid DN with State alias', ['C=US,S=California,O=Notary Project'], true],
  ['invalid DN (no O)', ['C=US,ST=California'], false],
  ['invalid DN without State', ['C=US,O=Notary Project'], false],
  ['not a DN', ['invalid'], false],
  [
    'duplicate RDN attribute (ST and its alias S)',
    ['C=US,ST=California,O=Notary Project,S=California'],
    false,
  ],
  ['unsupported DN =#', ['C=US,ST=California,O=Notary Project=#'], false],
  ['multi-valued RDN attributes', ['OU=Sales+CN=J.  Smith,DC=example,DC=net'], false],
  // TestValidateTrustedIdentities
  ['incomplete pairs', [',,,'], false],
  ['duplicate C', ['C=US,C=IN'], false],
  ['mandatory O missing', ['C=US,ST=WA'], false],
  ['custom RDN type', ['C=US,ST=WA,O=MyOrg,CustomRDN=CustomValue'], true],
  ['plain and inner spaces', ['C=US,ST=WA,O=MyOrg', 'C=US,ST=WA,O=  My.  Org'], true],
  ['overlapping identities', ['C=US,ST=WA,O=MyOrg', 'C=US,ST=WA,O=MyOrg,X=Y'], false],
  ['multi-valued C+ST', ['C=US+ST=WA,O=MyOrg'], false],
];

const parses = (identities: string[]): boolean => {
  try {
    parseTrustPolicy(
      policy(
        statement({ registryScopes: [SCOPE], trustedIdentities: identities.map((i) => `x509.subject:${i}`) }),
      ),
    );
    return true;
  } catch {
    return false;
  }
};

describe("notation-go's trusted-identity examples", () => {
  for (const [name, identities, accepted] of POLICY_TABLE) {
    it(`${name}: ${accepted ? 'accepted' : 'refused'}`, () => {
      expect(parses(identities)).toBe(accepted);
    });
  }

  it('known divergence: a value with an unescaped double quote (notation-go accepts it) is refused here', () => {
    // TestValidateTrustedIdentities validDN3. Refusing a policy is an error the user sees, never a
    // signature verified that notation would reject.
    expect(parses(['C=US,ST=WA,O=My "special" Org \\, \\; \\\\ others'])).toBe(false);
  });

  it('TestIsSubsetDN', () => {
    const m = (o: Record<string, string>) => new Map(Object.entries(o));
    const base = { C: 'US', ST: 'California', O: 'Notary Project' };
    expect(isSubset(m(base), m({ ...base, L: 'Los Angeles' }))).toBe(true);
    expect(isSubset(m(base), m({ ...base, O: 'Notary Project 2', L: 'Los Angeles', CN: 'Notary' }))).toBe(
      false,
    );
    expect(isSubset(m({ ...base, CN: 'Notary' }), m({ ...base, L: 'Los Angeles' }))).toBe(false);
  });
});

describe('leaf subjects notation-go cannot match', () => {
  const dir = (trustedIdentities: string[]) =>
    notationDir({
      stores: { 'ca/test': { 'root.pem': testPki().root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE], trustedIdentities })),
    });
  const ours = ['x509.subject: C=US, ST=WA, O=sigscan test'];

  async function verdictFor(subj: string, identities: string[], opts: { multivalue?: boolean } = {}) {
    const leaf = testLeafWithSubject(subj, opts);
    const { descriptor, target } = sampleImage(`dn-${subj}`);
    const sig = signNotation(descriptor, { leaf });
    const evidence = evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target);
    return evaluate(evidence, target, config({ notationDir: dir(identities) }));
  }

  it('control: a plain leaf with C, ST and O verifies', async () => {
    expect(await verdictFor('/C=US/ST=WA/O=sigscan test/CN=plain', ours)).toMatchObject({
      status: 'verified',
    });
  });

  for (const [what, subj, multivalue] of [
    [
      'two O= attributes (Go writes them as "O=a+O=b")',
      '/C=US/ST=WA/O=sigscan test/O=other org/CN=two-o',
      false,
    ],
    ['a multi-valued RDN (O+CN)', '/C=US/ST=WA/O=sigscan test+CN=mv', true],
    [
      'an emailAddress attribute (Go writes "=#<hex>")',
      '/C=US/ST=WA/O=sigscan test/CN=e/emailAddress=a@example.com',
      false,
    ],
    ['"=#" inside a value', '/C=US/ST=WA/O=sigscan test/CN=a=#b', false],
  ] as const) {
    it(`a leaf subject with ${what} matches no trusted identity`, async () => {
      const v = await verdictFor(subj, ours, { multivalue });
      expect(v).toMatchObject({ status: 'untrusted', code: 'IDENTITY_NOT_TRUSTED' });
      expect(v.message).toContain('cannot be matched against trusted identities');
    });
  }

  it('with trustedIdentities "*" the same leaf verifies: only identity matching refuses it', async () => {
    const v = await verdictFor('/C=US/ST=WA/O=sigscan test/O=other org/CN=two-o', ['*']);
    expect(v).toMatchObject({ status: 'verified' });
  });
});

/** containers-policy.json(5), as far as a scanner evaluates it (formats.md §4.7). */

export type SignedIdentity =
  | { type: 'matchExact' }
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchRepository' }
  | { type: 'exactReference'; dockerReference: string }
  | { type: 'exactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

export type PolicyRequirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  | {
      type: 'signedBy';
      keyType: string;
      keyPath?: string;
      keyPaths?: string[];
      keyData?: string;
      signedIdentity?: SignedIdentity;
    }
  | { type: 'sigstoreSigned'; signedIdentity?: SignedIdentity; raw: Record<string, unknown> }
  | { type: 'signedBaseLayer'; baseLayerIdentity: SignedIdentity };

export interface ContainersPolicy {
  default: PolicyRequirement[];
  /** transport name → scope (`""` = transport default) → requirements. */
  transports: Record<string, Record<string, PolicyRequirement[]>>;
  /** The file it was read from; relative key paths resolve against its directory. */
  path?: string;
}

export interface PolicyDecision {
  decision: 'accept' | 'reject';
  /** The scope whose requirements applied: `docker:<scope>`, `docker:""` or `default`. */
  scope: string;
  /** The requirement that decided, described (`signedBy GPGKeys /keys/k.gpg`), when there is one. */
  requirement?: string;
  reason: string;
}

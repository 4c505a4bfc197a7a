import type { FamilyVerifier } from '../verifier.js';
import { unverified } from '../verdicts.js';

/** Placeholder until the notation verifier lands: detection only, never `verified`. */
export const notationVerifier: FamilyVerifier = async (evidence) =>
  unverified('NO_TRUST_ROOT', `${evidence.family} signature found; its verification is not implemented yet`);

import type { FamilyVerifier } from '../verifier.js';
import { unverified } from '../verdicts.js';

/** Placeholder until the authenticode verifier lands: detection only, never `verified`. */
export const authenticodeVerifier: FamilyVerifier = async (evidence) =>
  unverified('NO_TRUST_ROOT', `${evidence.family} signature found; its verification is not implemented yet`);

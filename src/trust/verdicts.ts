import type { Verdict } from '../model/index.js';

/** Verdict constructors, so every family speaks the same way. */
export const verified = (code: string, message: string): Verdict => ({ status: 'verified', code, message });
export const invalid = (code: string, message: string): Verdict => ({ status: 'invalid', code, message });
export const untrusted = (code: string, message: string): Verdict => ({ status: 'untrusted', code, message });
export const unverified = (code: string, message: string): Verdict => ({
  status: 'unverified',
  code,
  message,
});
export const verificationError = (code: string, message: string): Verdict => ({
  status: 'error',
  code,
  message,
});

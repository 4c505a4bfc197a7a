import type { TrustContext } from '../verifier.js';
import type { RevocationOptions } from './check.js';

/**
 * The revocation options of one chain check, from the scan's settings. `signingTime` is the trusted
 * timestamp's time when the signature has one that counts; without it a revocation always applies.
 */
export function revocationOptions(ctx: TrustContext, signingTime?: Date): RevocationOptions {
  return {
    mode: ctx.config.revocation ?? 'offline',
    crls: ctx.config.crls ?? [],
    ...(ctx.onlineRevocation ? { online: ctx.onlineRevocation } : {}),
    checkTime: ctx.now,
    ...(signingTime ? { signingTime } : {}),
    ...(ctx.findings ? { findings: ctx.findings } : {}),
  };
}

import { join } from 'node:path';

import { PROJECT_ROOT, run, type RunResult } from './tools.js';

export const CLI = join(PROJECT_ROOT, 'bin', 'run.js');

/** Runs the built CLI as a user would (no shell); never throws on a non-zero exit. */
export function sigscan(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], {
    check: false,
    timeoutMs: 120_000,
    ...opts,
    env: { NO_COLOR: '1', ...opts.env },
  });
}

export interface JsonTarget {
  kind: string;
  ref: string;
  repository?: string;
  tag?: string | null;
  platform?: string | null;
  parent?: string | null;
  path?: string;
  digest: string | null;
  format?: string;
  status: 'signed' | 'unsigned' | 'unknown';
  signatures: Array<{
    family: string;
    location: string;
    signer: {
      subject?: string;
      issuer?: string;
      sha256Fingerprint?: string;
      keyId?: string;
      subjectAlternativeNames?: string[];
    };
    countersigner: { kind: string; subject?: string; time?: string } | null;
    claims: { subjectDigest?: string } | null;
    details: Record<string, unknown>;
    findings: Array<{ code: string; severity: string }>;
    verdict: { status: string; code: string; message: string };
  }>;
  errors: Array<{ code: string; message: string }>;
}

export interface JsonReport {
  schemaVersion: string;
  tool: { name: string; version: string };
  targets: JsonTarget[];
  errors: Array<{ code: string; message: string }>;
  summary: Record<string, unknown> & { targets: number; signed: number; unsigned: number; unknown: number };
  stats?: { requests: number; byKind: Record<string, Record<string, number>> };
}

export async function sigscanJson(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<{ code: number; report: JsonReport; stderr: string }> {
  const res = await sigscan([...args, '-o', 'json'], opts);
  let report: JsonReport;
  try {
    report = JSON.parse(res.stdout) as JsonReport;
  } catch {
    throw new Error(
      `sigscan ${args.join(' ')} printed no JSON (exit ${res.code}): ${res.stderr}\n${res.stdout.slice(0, 500)}`,
    );
  }
  return { code: res.code, report, stderr: res.stderr };
}

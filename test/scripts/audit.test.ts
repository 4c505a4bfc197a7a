import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../helpers/tools.js';

// The advisory endpoint cannot be reached from these machines (it answers 405), so `npm` is replaced by
// a script that prints what npm audit prints in each case; the decision logic is what is tested.
const dir = mkdtempSync(join(tmpdir(), 'sigscan-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runAudit(npmOutput: object, env: Record<string, string> = {}) {
  const body = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(body, JSON.stringify(npmOutput));
  writeFileSync(join(dir, 'npm'), `#!/bin/sh\ncat "${body}"\nexit 1\n`);
  chmodSync(join(dir, 'npm'), 0o755);
  return spawnSync(
    process.execPath,
    [join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(PROJECT_ROOT, 'scripts', 'audit.ts')],
    { encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env } },
  );
}

const findings = (severity: string) => ({
  vulnerabilities: { undici: { severity, via: [], fixAvailable: true } },
  metadata: { vulnerabilities: { critical: 0, high: 0, moderate: 0, low: 0, [severity]: 1 } },
});

describe('scripts/audit.ts', () => {
  it('fails on a high or critical advisory in production dependencies and names the package', () => {
    for (const severity of ['high', 'critical']) {
      const r = runAudit(findings(severity));
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`${severity}: undici`);
    }
  });

  it('passes with only moderate findings', () => {
    const r = runAudit(findings('moderate'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 critical, 0 high, 1 moderate, 0 low');
  });

  it('says NOT AUDITED when the endpoint answers 405, and fails on it only in strict mode', () => {
    const refused = {
      statusCode: 405,
      message: '405 Method Not Allowed - POST https://registry/-/npm/v1/security/advisories/bulk',
    };
    const lax = runAudit(refused);
    expect(lax.status).toBe(0);
    expect(lax.stderr).toContain('NOT AUDITED');
    expect(runAudit(refused, { SIGSCAN_AUDIT_STRICT: '1' }).status).toBe(1);
  });
});

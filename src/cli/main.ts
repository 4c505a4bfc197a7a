import type { Interfaces } from '@oclif/core';

/**
 * The process entry point. `sigscan version` and `--version` answer from here, before oclif and the
 * command table load (two thirds of start-up): a pipeline that checks the tool's version pays for
 * Node alone. A plain `sigscan fs ...` runs without oclif's configuration (fast-path.ts). Everything else
 * goes through runCli.
 */
export async function main(
  argv: string[],
  entry: string,
  opts: { pjson?: Interfaces.PJSON } = {},
): Promise<void> {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === 'version')) {
    const { TOOL_NAME, TOOL_VERSION } = await import('../version.js');
    process.stdout.write(`${versionLine(TOOL_NAME, TOOL_VERSION)}\n`);
    return;
  }
  if (argv[0] === 'fs') {
    const { runFsFast } = await import('./fast-path.js');
    if (await runFsFast(argv)) return;
  }
  const { runCli } = await import('./run-cli.js');
  await runCli(argv, entry, opts);
}

/** `sigscan 1.2.3 (node v22.1.0, linux-x64)`: the same line as `sigscan version`. */
export function versionLine(name: string, version: string): string {
  return `${name} ${version} (node ${process.version}, ${process.platform}-${process.arch})`;
}

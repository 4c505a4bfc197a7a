import { Args, Command, Flags } from '@oclif/core';

import { grouped } from './flag-groups.js';
import { registryAccess, registryFlags } from './registry-flags.js';
import { trustFlags, trustInput } from './trust-flags.js';

export default class Tree extends Command {
  static override summary =
    'Show what is attached to one image: platforms, signatures, attestations, referrers.';
  static override description = `As cosign tree and notation list: the image (or index) and each platform child, and
under each every signature, attestation and referrer found through the referrers API, its tag
fallback, or cosign's sha256-<hex>.sig/.att/.sbom tags, with the signer and verdict a scan with the
same trust flags gives.

EXIT CODES
  0  the image was found and listed
  2  usage error
  3  the image could not be read`;

  static override examples = [
    '<%= config.bin %> tree ghcr.io/org/app:1.2',
    '<%= config.bin %> tree --key cosign.pub registry.example.com/team/app@sha256:<digest> --json',
  ];

  static override usage = 'tree [FLAGS] IMAGE';
  static override args = {
    image: Args.string({ required: true, description: 'image reference (tag or digest)' }),
  };
  static override flags = grouped({
    ...trustFlags,
    ...registryFlags,
    json: Flags.boolean({ summary: 'As JSON.', default: false }),
  });

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tree);
    const [{ runTree, renderTree }, { loadTrustConfig }, { stderrLogger }, { SigscanError }] =
      await Promise.all([
        import('../scan/tree.js'),
        import('../trust/config.js'),
        import('../util/logger.js'),
        import('../errors.js'),
      ]);
    try {
      const trust = await loadTrustConfig(trustInput(flags));
      const { tree, report } = await runTree({
        image: args.image,
        images: [args.image],
        trust,
        concurrency: 8,
        log: stderrLogger(false),
        ...(await registryAccess(flags)),
      });
      if (!tree) {
        const why = [...report.scanErrors, ...report.results.flatMap((r) => r.errors)]
          .map((e) => e.message)
          .join('; ');
        this.error(`${args.image}: not found${why ? ` (${why})` : ''}`, { exit: 3, code: 'NOT_FOUND' });
      }
      process.stdout.write(flags.json ? `${JSON.stringify(tree, null, 2)}\n` : renderTree(tree));
    } catch (err) {
      if (err instanceof SigscanError)
        this.error(err.message, { exit: err.code === 'USAGE' ? 2 : 3, code: err.code });
      throw err;
    }
  }
}

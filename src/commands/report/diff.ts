import { Args, Command, Flags } from '@oclif/core';

import { reportFileFlags } from '../shared.js';

export default class ReportDiff extends Command {
  static override summary =
    'Compare two saved JSON reports: what lost its signature, what changed signer or verdict.';
  static override description = `Changes: newly-unsigned (signed before, unsigned now, or new and unsigned),
signature-removed, new-signer (was unsigned), signer-changed (a signer not seen before on the target),
verdict-changed, status-changed, target-added, target-removed. Images are matched by repository, tag (or
digest) and platform, files by path. With --fail-on-regression the exit code is 1 when anything got worse.`;
  static override examples = [
    '<%= config.bin %> report diff yesterday.json today.json',
    '<%= config.bin %> report diff old.json new.json -o sarif --output-file diff.sarif',
    "<%= config.bin %> report diff old.json new.json -o json | jq '.changes[] | select(.regression)'",
  ];
  static override args = {
    old: Args.string({ required: true, description: 'the earlier sigscan -o json report' }),
    new: Args.string({ required: true, description: 'the later sigscan -o json report' }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Diff format.',
      options: ['pretty', 'json', 'sarif'],
      default: 'pretty',
    }),
    ...reportFileFlags,
    'fail-on-regression': Flags.boolean({
      summary: 'Exit 1 when any change is a regression.',
      default: false,
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReportDiff);
    const [
      { loadReportFile },
      { diffReports, renderDiff },
      { checkOutputPlan, writeReportText },
      { SigscanError },
    ] = await Promise.all([
      import('../../report/load.js'),
      import('../../report/diff.js'),
      import('../../report/emit.js'),
      import('../../errors.js'),
    ]);
    try {
      const plan = { format: 'json' as const, outputFile: flags['output-file'], force: flags.force };
      await checkOutputPlan(plan);
      const [before, after] = await Promise.all([loadReportFile(args.old), loadReportFile(args.new)]);
      const diff = diffReports(before, after);
      const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && !flags['output-file'];
      const text = renderDiff(diff, flags.output as 'pretty' | 'json' | 'sarif', {
        color,
        cwd: process.cwd(),
      });
      await writeReportText(text, plan, (t) => process.stdout.write(t));
      process.exitCode = flags['fail-on-regression'] && diff.changes.some((c) => c.regression) ? 1 : 0;
    } catch (err) {
      if (err instanceof SigscanError) this.error(err.message, { exit: 2, code: err.code });
      throw err;
    }
  }
}

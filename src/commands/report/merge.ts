import { randomUUID } from 'node:crypto';

import { Args, Command, Flags } from '@oclif/core';

import { OUTPUT_FORMATS } from '../../report/formats.js';
import { reportFileFlags } from '../shared.js';

export default class ReportMerge extends Command {
  static override summary = 'Merge saved JSON reports into one, as if one scan had covered all their inputs.';
  static override description = `Targets are deduplicated by kind, reference and platform (the newest report wins),
scan errors are deduplicated, inputs united, and the summary is recomputed. Use it to combine sharded or
per-registry scans before converting or diffing.`;
  static override examples = [
    '<%= config.bin %> report merge reports/a.json reports/b.json --output-file reports/all.json',
    '<%= config.bin %> report merge shard-*.json -o sarif --output-file all.sarif',
  ];
  static override strict = false;
  static override args = {
    files: Args.string({ required: true, description: 'sigscan -o json reports' }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Report format.',
      options: [...OUTPUT_FORMATS],
      default: 'json',
    }),
    ...reportFileFlags,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(ReportMerge);
    const [{ loadReportFile }, { mergeReports }, { startOutputs, finishOutputs }, { SigscanError }] =
      await Promise.all([
        import('../../report/load.js'),
        import('../../report/merge.js'),
        import('../output.js'),
        import('../../errors.js'),
      ]);
    try {
      const writer = await startOutputs(flags);
      const reports = await Promise.all((argv as string[]).map((f) => loadReportFile(f)));
      const merged = mergeReports(reports);
      // The merged document is a report of its own: its lines must not pass for one of the parts'.
      merged.scanId = randomUUID();
      await finishOutputs(writer, merged);
      process.exitCode = 0;
    } catch (err) {
      if (err instanceof SigscanError) this.error(err.message, { exit: 2, code: err.code });
      throw err;
    }
  }
}

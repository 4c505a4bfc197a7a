import { Args, Command, Flags } from '@oclif/core';

import { OUTPUT_FORMATS } from '../../report/formats.js';
import { FAIL_ON_CONDITIONS } from '../../scan/exit-code.js';
import { EXIT_CODES_HELP, reportFileFlags } from '../shared.js';

export default class ReportConvert extends Command {
  static override summary = 'Render a saved JSON report in another format.';
  static override description = `Reads a report saved with -o json (validated against the schema first) and prints it as
pretty, csv, html, ndjson, sarif, sigscan-json or json. --fail-on gates on the saved report exactly as on a
live scan.

${EXIT_CODES_HELP}`;
  static override examples = [
    '<%= config.bin %> report convert reports/scan.json -o sarif --output-file scan.sarif',
    '<%= config.bin %> report convert reports/scan.json -o html --output-file scan.html',
    '<%= config.bin %> report convert reports/scan.json -o pretty --fail-on unsigned,invalid',
  ];
  static override args = {
    file: Args.string({ required: true, description: 'a sigscan -o json report (- for stdin)' }),
  };
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Report format.',
      options: [...OUTPUT_FORMATS],
      default: 'pretty',
    }),
    ...reportFileFlags,
    'fail-on': Flags.string({
      summary: 'Exit 1 when any target matches one of these (comma-separated).',
      delimiter: ',',
      multiple: true,
      options: [...FAIL_ON_CONDITIONS],
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ReportConvert);
    const [{ loadReportFile }, { startOutputs, finishOutputs }, { SigscanError }] = await Promise.all([
      import('../../report/load.js'),
      import('../output.js'),
      import('../../errors.js'),
    ]);
    try {
      const writer = await startOutputs(flags);
      const report = await loadReportFile(args.file);
      process.exitCode = await finishOutputs(writer, report);
    } catch (err) {
      if (err instanceof SigscanError) this.error(err.message, { exit: 2, code: err.code });
      throw err;
    }
  }
}

import { Command } from '@oclif/core';

export default class Schema extends Command {
  static override summary = 'Print the JSON Schema (draft 2020-12) of the -o json report.';
  static override description = `The same file ships as schema/sigscan-report.schema.json. Validate a saved report with any
draft 2020-12 validator, e.g. ajv: npx ajv validate --spec=draft2020 -s schema.json -d report.json`;
  static override examples = ['<%= config.bin %> schema > sigscan-report.schema.json'];

  async run(): Promise<void> {
    await this.parse(Schema);
    const { reportSchemaText } = await import('../report/schema.js');
    process.stdout.write(reportSchemaText());
  }
}

import { Command, Flags } from '@oclif/core';

import { versionLine } from '../cli/main.js';

export default class Version extends Command {
  static override summary = 'Print the sigscan version.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];
  static override flags = { json: Flags.boolean({ summary: 'As JSON.', default: false }) };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const info = {
      name: this.config.name,
      version: this.config.version,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    };
    this.log(flags.json ? JSON.stringify(info) : versionLine(info.name, info.version));
  }
}

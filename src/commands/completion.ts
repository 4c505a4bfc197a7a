import { Args, Command } from '@oclif/core';

import { completionScript, SHELLS, type CompletionCommand, type Shell } from '../cli/completion.js';

export default class Completion extends Command {
  static override summary = 'Print a shell completion script (bash, zsh or fish).';
  static override description = `Completes commands, flags and fixed flag values such as -o formats. The script is
generated from this version's commands; load it again after an upgrade.`;
  static override examples = [
    { description: 'bash, for this shell', command: 'source <(<%= config.bin %> completion bash)' },
    {
      description: 'bash, for every new shell',
      command: '<%= config.bin %> completion bash > /etc/bash_completion.d/sigscan',
    },
    { description: 'zsh', command: '<%= config.bin %> completion zsh > "${fpath[1]}/_sigscan"' },
    {
      description: 'fish',
      command: '<%= config.bin %> completion fish > ~/.config/fish/completions/sigscan.fish',
    },
  ];
  static override args = {
    shell: Args.string({ required: true, options: [...SHELLS], description: 'bash, zsh or fish' }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(Completion);
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id.replaceAll(':', ' '),
        summary: c.summary,
        flags: Object.entries(c.flags)
          .filter(([, f]) => !f.hidden)
          .map(([name, f]) => ({
            name,
            char: f.char,
            takesValue: f.type === 'option',
            options: f.type === 'option' ? f.options : undefined,
            summary: f.summary,
          })),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    process.stdout.write(completionScript(args.shell as Shell, this.config.bin, commands));
  }
}

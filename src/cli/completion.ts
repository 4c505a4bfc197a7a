/**
 * Shell completion scripts, generated from the command list so they never drift from the flags.
 * Each script is static (no call back into sigscan on every <TAB>): start-up costs a third of a second,
 * which a shell user feels on every key press.
 */

export interface CompletionFlag {
  name: string;
  char?: string;
  /** Takes a value (an option flag). */
  takesValue: boolean;
  /** The fixed set of values, where the flag declares one (`-o pretty|json|...`). */
  options?: readonly string[];
  summary?: string;
}

export interface CompletionCommand {
  /** Words as typed: `fs`, `report diff`. */
  id: string;
  summary?: string;
  flags: CompletionFlag[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export function completionScript(shell: Shell, bin: string, commands: CompletionCommand[]): string {
  switch (shell) {
    case 'bash':
      return bashScript(bin, commands);
    case 'zsh':
      return zshScript(bin, commands);
    case 'fish':
      return fishScript(bin, commands);
  }
}

const ident = (bin: string) => bin.replace(/[^A-Za-z0-9_]/g, '_');
const flagWords = (c: CompletionCommand) =>
  c.flags.flatMap((f) => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])]).join(' ');
const topLevel = (commands: CompletionCommand[]) => [
  ...new Set(['help', ...commands.map((c) => c.id.split(' ')[0]!)]),
];

function bashScript(bin: string, commands: CompletionCommand[]): string {
  const fn = `_${ident(bin)}_complete`;
  const subcommands = new Map<string, string[]>();
  for (const c of commands) {
    const [head, sub] = c.id.split(' ');
    if (sub) subcommands.set(head!, [...(subcommands.get(head!) ?? []), sub]);
  }
  const valueCases = commands
    .flatMap((c) => c.flags.filter((f) => f.options))
    .reduce((m, f) => m.set(f.name, f), new Map<string, CompletionFlag>());
  const lines = [
    `# ${bin} completion for bash. Load with: source <(${bin} completion bash)`,
    `${fn}() {`,
    '  local cur prev cmd',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  cmd="${COMP_WORDS[1]}"',
    '  if [ "$COMP_CWORD" -ge 3 ] && [[ "${COMP_WORDS[2]}" != -* ]]; then',
    '    case "$cmd ${COMP_WORDS[2]}" in',
    ...[...subcommands].flatMap(([head, subs]) =>
      subs.map((s) => `      "${head} ${s}") cmd="${head} ${s}" ;;`),
    ),
    '    esac',
    '  fi',
    '  case "$prev" in',
    ...[...valueCases.values()].map(
      (f) =>
        `    --${f.name}${f.char ? `|-${f.char}` : ''}) COMPREPLY=( $(compgen -W "${f.options!.join(' ')}" -- "$cur") ); return ;;`,
    ),
    '  esac',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=( $(compgen -W "${topLevel(commands).join(' ')}" -- "$cur") ); return`,
    '  fi',
    '  case "$cmd" in',
    ...[...subcommands].map(
      ([head, subs]) =>
        `    ${head}) if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=( $(compgen -W "${subs.join(' ')}" -- "$cur") ); return; fi ;;`,
    ),
    `    help) COMPREPLY=( $(compgen -W "${topLevel(commands).join(' ')}" -- "$cur") ); return ;;`,
    '  esac',
    '  if [[ "$cur" == -* ]]; then',
    '    case "$cmd" in',
    ...commands.map((c) => `      "${c.id}") COMPREPLY=( $(compgen -W "${flagWords(c)}" -- "$cur") ) ;;`),
    '    esac',
    '    return',
    '  fi',
    '  COMPREPLY=( $(compgen -f -- "$cur") )',
    '}',
    `complete -o filenames -F ${fn} ${bin}`,
    '',
  ];
  return lines.join('\n');
}

const zshQuote = (s: string) => s.replace(/'/g, "'\\''").replace(/[[\]:]/g, '\\$&');

function zshScript(bin: string, commands: CompletionCommand[]): string {
  const fn = `_${ident(bin)}`;
  const spec = (f: CompletionFlag) => {
    const desc = zshQuote(f.summary ?? '');
    const value = f.takesValue ? (f.options ? `:value:(${f.options.join(' ')})` : ':value:_files') : '';
    return `'--${f.name}[${desc}]${value}'`;
  };
  const lines = [
    `#compdef ${bin}`,
    `# ${bin} completion for zsh. Load with: source <(${bin} completion zsh)`,
    `${fn}() {`,
    '  local -a commands',
    '  commands=(',
    ...topLevel(commands).map((c) => {
      const summary = commands.find((x) => x.id === c)?.summary ?? '';
      return `    '${c}:${zshQuote(summary)}'`;
    }),
    '  )',
    '  if (( CURRENT == 2 )); then _describe command commands; return; fi',
    '  local cmd="${words[2]}"',
    '  if [[ -n "${words[3]}" && "${words[3]}" != -* ]] && (( CURRENT > 3 )); then cmd="${words[2]} ${words[3]}"; fi',
    '  case "$cmd" in',
    ...commands.map((c) => `    "${c.id}") _arguments -s ${c.flags.map(spec).join(' ')} '*:file:_files' ;;`),
    '    *) _files ;;',
    '  esac',
    '}',
    `compdef ${fn} ${bin}`,
    '',
  ];
  return lines.join('\n');
}

const fishQuote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function fishScript(bin: string, commands: CompletionCommand[]): string {
  const heads = topLevel(commands);
  const lines = [
    `# ${bin} completion for fish. Load with: ${bin} completion fish | source`,
    `complete -c ${bin} -f -n '__fish_use_subcommand' -a ${fishQuote(heads.join(' '))}`,
  ];
  for (const c of commands) {
    const words = c.id.split(' ');
    const cond =
      words.length === 1
        ? `__fish_seen_subcommand_from ${words[0]}`
        : `__fish_seen_subcommand_from ${words[0]}; and __fish_seen_subcommand_from ${words[1]}`;
    if (words.length === 2)
      lines.push(
        `complete -c ${bin} -f -n '__fish_seen_subcommand_from ${words[0]}' -a ${fishQuote(words[1]!)}`,
      );
    for (const f of c.flags) {
      const parts = [`complete -c ${bin} -n ${fishQuote(cond)} -l ${f.name}`];
      if (f.char) parts.push(`-s ${f.char}`);
      if (f.takesValue) parts.push(f.options ? `-x -a ${fishQuote(f.options.join(' '))}` : '-r');
      if (f.summary) parts.push(`-d ${fishQuote(f.summary)}`);
      lines.push(parts.join(' '));
    }
  }
  lines.push('');
  return lines.join('\n');
}

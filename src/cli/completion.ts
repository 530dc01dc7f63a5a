// Shell completion for bash and zsh, generated from the command definitions themselves (commander's
// commands and options), so it cannot drift from what mmsim accepts. Profiles and patch ids complete
// after --kernel and --patch; scenario files complete as files.
import type { Command } from 'commander';
import { PROFILES } from '../profiles/profiles.js';
import { PATCH_LIST } from '../profiles/patches.js';

interface Spec {
  commands: Record<string, string[]>;
}

function specOf(program: Command): Spec {
  const commands: Record<string, string[]> = {};
  for (const c of program.commands) {
    commands[c.name()] = c.options.flatMap((o) => [o.short, o.long].filter((x): x is string => !!x));
  }
  return { commands };
}

export function completionScript(program: Command, shell: 'bash' | 'zsh'): string {
  const { commands } = specOf(program);
  const names = Object.keys(commands).join(' ');
  const profiles = PROFILES.map((p) => p.name).join(' ');
  const patches = PATCH_LIST.flatMap((p) => ['+' + p.id, '-' + p.id]).join(' ');
  const cases = Object.entries(commands).map(([n, opts]) => `    ${n}) opts="${opts.join(' ')}" ;;`).join('\n');
  const bash = `# mmsim completion for bash: eval "$(mmsim completion bash)"
_mmsim() {
  local cur prev cmd opts
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=( $(compgen -W "${names} --version --help" -- "$cur") )
    return
  fi
  case "$prev" in
    -k|--kernel) COMPREPLY=( $(compgen -W "${profiles}" -- "$cur") ); return ;;
    -p|--patch) COMPREPLY=( $(compgen -W "${patches}" -- "$cur") ); return ;;
  esac
  case "$cmd" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts --help" -- "$cur") )
  else
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
}
complete -F _mmsim -o filenames mmsim
`;
  if (shell === 'bash') return bash;
  // zsh runs the bash function through bashcompinit
  return `# mmsim completion for zsh: eval "$(mmsim completion zsh)"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bash}`;
}

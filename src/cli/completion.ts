// `vnvdimm completion bash|zsh|fish`: completion scripts made from the
// command tree that commander holds, so that a new verb or option is
// completed without anyone writing a line of shell. The scripts are static:
// a TAB runs no node (tabtab-style completion would start vnvdimm at every
// key press, and a stateful verb may start a host). They complete verbs,
// options and their values (files, directories, choices) and positional
// files; domain names would need a running host, and are not completed.
import type { Command as Cli } from "commander";

export type Shell = "bash" | "zsh" | "fish";

/** What a value is: a file, a directory, one of some words, or anything (nothing to offer). */
type ValueKind = { kind: "file" } | { kind: "dir" } | { kind: "choice"; words: string[] } | { kind: "any" };

interface Opt { short?: string; long?: string; description: string; value?: ValueKind }
interface Node {
  /** The command path below the program, space-separated: "" for the program, "pmem list". */
  path: string;
  subs: { name: string; description: string }[];
  options: Opt[];
  args: ValueKind[];
  variadic: boolean;
}

const FILE_NAMES = new Set(["file", "config"]);
const DIR_NAMES = new Set(["dir", "directory"]);

function kindOf(placeholder: string, choices: readonly string[] | undefined): ValueKind {
  if (choices && choices.length > 0) return { kind: "choice", words: [...choices] };
  if (FILE_NAMES.has(placeholder)) return { kind: "file" };
  if (DIR_NAMES.has(placeholder)) return { kind: "dir" };
  return { kind: "any" };
}

/** The tree as commander shows it in help: visible commands (with `help`) and options (with --help). */
export function commandTree(program: Cli): Node[] {
  const nodes: Node[] = [];
  const visit = (cmd: Cli, path: string[]) => {
    const help = cmd.createHelp();
    const subs = help.visibleCommands(cmd);
    const args = cmd.registeredArguments;
    nodes.push({
      path: path.join(" "),
      subs: subs.map((s) => ({ name: s.name(), description: help.subcommandDescription(s) })),
      options: help.visibleOptions(cmd).map((o) => {
        const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? "";
        return {
          ...(o.short ? { short: o.short } : {}), ...(o.long ? { long: o.long } : {}), description: o.description,
          ...(o.required || o.optional ? { value: kindOf(placeholder, o.argChoices) } : {}),
        };
      }),
      args: args.map((a) => kindOf(a.name(), a.argChoices)),
      variadic: args.at(-1)?.variadic ?? false,
    });
    // commander's `help` command takes a command name, not a tree of its own.
    for (const s of subs) if (s.name() !== "help" || cmd.commands.includes(s)) visit(s, [...path, s.name()]);
  };
  visit(program, []);
  return nodes;
}

const flagsOf = (o: Opt): string[] => [o.short, o.long].filter((f): f is string => f !== undefined);
const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim();
/** A word for sh, bash and zsh: single-quoted. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** A word for fish: single-quoted, where \ and ' are escaped. */
const fq = (s: string): string => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const kindWord = (v: ValueKind): string => (v.kind === "choice" ? `choice:${v.words.join(" ")}` : v.kind);

export function completionScript(program: Cli, shell: Shell, version?: string): string {
  const nodes = commandTree(program);
  const made = `made by \`vnvdimm completion ${shell}\`${version ? ` (vnvdimm ${version})` : ""} from its command tree`;
  if (shell === "bash") return bashScript(nodes, made);
  if (shell === "zsh") return zshScript(nodes, made);
  return fishScript(nodes, made);
}

/** The shell functions both bash and zsh use: look-ups of the tree that set REPLY (or reply). */
function lookups(nodes: Node[], zsh: boolean): string {
  const lines: string[] = [];
  const subsCase = nodes.filter((n) => n.subs.length > 0).map((n) => zsh
    ? `    ${sq(n.path)}) reply=(${n.subs.map((s) => sq(`${s.name}:${oneLine(s.description)}`)).join(" ")}) ;;`
    : `    ${sq(n.path)}) REPLY=${sq(n.subs.map((s) => s.name).join(" "))} ;;`);
  lines.push("# The subcommands of a command path.", `__vnvdimm_subcommands() {`, zsh ? "  reply=()" : "  REPLY=''", `  case $1 in`, ...subsCase, "  esac", "}");
  const optsCase = nodes.map((n) => zsh
    ? `    ${sq(n.path)}) reply=(${n.options.flatMap((o) => flagsOf(o).map((f) => sq(`${f}:${oneLine(o.description)}`))).join(" ")}) ;;`
    : `    ${sq(n.path)}) REPLY=${sq(n.options.flatMap(flagsOf).join(" "))} ;;`);
  lines.push("# The options of a command path.", `__vnvdimm_options() {`, zsh ? "  reply=()" : "  REPLY=''", `  case $1 in`, ...optsCase, "  esac", "}");
  const valueCase = nodes.flatMap((n) => n.options.filter((o) => o.value).map((o) =>
    `    ${flagsOf(o).map((f) => sq(`${n.path}|${f}`)).join("|")}) REPLY=${sq(kindWord(o.value!))} ;;`));
  lines.push("# What an option's value is (file, dir, choice:WORDS or any); nothing for an option that takes none.",
    `__vnvdimm_option_value() {`, "  REPLY=''", `  case "$1|$2" in`, ...valueCase, "  esac", "}");
  const argCase = nodes.filter((n) => n.args.length > 0).map((n) =>
    `    ${sq(n.path)}) kinds=(${n.args.map((a) => sq(kindWord(a))).join(" ")}); variadic=${n.variadic ? 1 : 0} ;;`);
  lines.push("# What the Nth (from 0) positional argument of a command path is.",
    `__vnvdimm_argument() {`, "  local -a kinds=(); local variadic=0 n=$2", "  REPLY=''", `  case $1 in`, ...argCase, "  esac",
    "  (( ${#kinds[@]} == 0 )) && return",
    "  if (( n >= ${#kinds[@]} )); then (( variadic )) || return; n=$(( ${#kinds[@]} - 1 )); fi",
    zsh ? "  REPLY=${kinds[n+1]}" : "  REPLY=${kinds[n]}", "}");
  return lines.join("\n");
}

function bashScript(nodes: Node[], made: string): string {
  return `# bash completion for vnvdimm, ${made}.
# Install: vnvdimm completion bash > ~/.local/share/bash-completion/completions/vnvdimm
# (or source it from ~/.bashrc).

${lookups(nodes, false)}

__vnvdimm_complete_value() {
  case $1 in
    file) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- "$2") ;;
    dir) compopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- "$2") ;;
    choice:*) mapfile -t COMPREPLY < <(compgen -W "\${1#choice:}" -- "$2") ;;
  esac
}

_vnvdimm() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev='' cmdpath='' word opt='' i positional=0 REPLY
  (( COMP_CWORD > 0 )) && prev=\${COMP_WORDS[COMP_CWORD-1]}
  COMPREPLY=()
  # Walk the words before the cursor: verbs deepen the path, an option's value
  # is skipped, anything else is a positional argument. "--opt=value" comes as
  # three words, since = breaks words in bash.
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word=\${COMP_WORDS[i]}
    case $word in
      =) (( i++ )) ;;
      -*) if [[ \${COMP_WORDS[i+1]} != = ]]; then __vnvdimm_option_value "$cmdpath" "$word"; [[ -n $REPLY ]] && (( i++ )); fi ;;
      *)
        __vnvdimm_subcommands "$cmdpath"
        if (( positional == 0 )) && [[ " $REPLY " == *" $word "* ]]; then cmdpath=\${cmdpath:+$cmdpath }$word
        else (( positional++ )); fi ;;
    esac
  done
  if [[ $cur == = ]]; then opt=$prev; cur=''
  elif [[ $prev == = ]] && (( COMP_CWORD >= 2 )); then opt=\${COMP_WORDS[COMP_CWORD-2]}
  elif [[ $prev == -* ]]; then opt=$prev; fi
  if [[ -n $opt ]]; then
    __vnvdimm_option_value "$cmdpath" "$opt"
    if [[ -n $REPLY ]]; then __vnvdimm_complete_value "$REPLY" "$cur"; return 0; fi
  fi
  if [[ $cur == -* ]]; then
    __vnvdimm_options "$cmdpath"
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  fi
  __vnvdimm_subcommands "$cmdpath"
  if [[ -n $REPLY ]] && (( positional == 0 )); then
    mapfile -t COMPREPLY < <(compgen -W "$REPLY" -- "$cur")
    return 0
  fi
  __vnvdimm_argument "$cmdpath" "$positional"
  __vnvdimm_complete_value "$REPLY" "$cur"
  return 0
}

complete -F _vnvdimm vnvdimm
`;
}

function zshScript(nodes: Node[], made: string): string {
  return `#compdef vnvdimm
# zsh completion for vnvdimm, ${made}.
# Install: vnvdimm completion zsh > ~/.zfunc/_vnvdimm, with ~/.zfunc in $fpath
# before compinit runs (or source it after compinit).

${lookups(nodes, true)}

__vnvdimm_complete_value() {
  case $1 in
    file) _files ;;
    dir) _files -/ ;;
    choice:*) local -a words; words=(\${=\${1#choice:}}); _describe -t values value words ;;
    *) _message -e values value ;;
  esac
}

_vnvdimm() {
  local cmdpath='' word opt='' cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} REPLY
  local -a reply
  local -i i positional=0
  # Walk the words before the cursor: verbs deepen the path, an option's value
  # is skipped, anything else is a positional argument.
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    case $word in
      --*=*) ;;
      -*) __vnvdimm_option_value "$cmdpath" "$word"; [[ -n $REPLY ]] && (( i++ )) ;;
      *)
        __vnvdimm_subcommands "$cmdpath"
        if (( positional == 0 )) && (( \${#\${(M)reply:#\${(b)word}:*}} )); then cmdpath=\${cmdpath:+$cmdpath }$word
        else (( positional++ )); fi ;;
    esac
  done
  if [[ $cur == --*=* ]]; then
    __vnvdimm_option_value "$cmdpath" "\${cur%%=*}"
    compset -P '*='
    __vnvdimm_complete_value "$REPLY"
    return
  fi
  if [[ $prev == -* ]]; then
    __vnvdimm_option_value "$cmdpath" "$prev"
    if [[ -n $REPLY ]]; then __vnvdimm_complete_value "$REPLY"; return; fi
  fi
  if [[ $cur == -* ]]; then
    __vnvdimm_options "$cmdpath"
    _describe -t options option reply
    return
  fi
  __vnvdimm_subcommands "$cmdpath"
  if (( \${#reply} && positional == 0 )); then
    _describe -t commands command reply
    return
  fi
  __vnvdimm_argument "$cmdpath" "$positional"
  [[ -n $REPLY ]] && __vnvdimm_complete_value "$REPLY"
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _vnvdimm "$@"
else
  compdef _vnvdimm vnvdimm
fi
`;
}

function fishScript(nodes: Node[], made: string): string {
  const subsCases = nodes.filter((n) => n.subs.length > 0).map((n) => `        case ${fq(n.path)}\n            printf '%s\\n' ${n.subs.map((s) => fq(s.name)).join(" ")}`);
  const valueCases = nodes.flatMap((n) => n.options.filter((o) => o.value).map((o) => `        case ${flagsOf(o).map((f) => fq(`${n.path}|${f}`)).join(" ")}\n            return 0`));
  const complete: string[] = [];
  for (const n of nodes) {
    const at = fq(`__vnvdimm_at ${fq(n.path)}`);
    const fileArg = n.args.some((a) => a.kind === "file" || a.kind === "dir");
    if (!fileArg) complete.push(`complete -c vnvdimm -n ${at} -f`);
    for (const s of n.subs) complete.push(`complete -c vnvdimm -n ${at} -f -a ${fq(s.name)} -d ${fq(oneLine(s.description))}`);
    for (const o of n.options) {
      const flags = [o.short ? `-s ${fq(o.short.slice(1))}` : "", o.long ? `-l ${fq(o.long.slice(2))}` : ""].filter(Boolean).join(" ");
      const v = o.value;
      const value = !v ? "" : v.kind === "file" ? " -r -F" : v.kind === "dir" ? " -x -a '(__fish_complete_directories)'"
        : v.kind === "choice" ? ` -x -a ${fq(v.words.join(" "))}` : " -x";
      complete.push(`complete -c vnvdimm -n ${at} ${flags}${value} -d ${fq(oneLine(o.description))}`);
    }
  }
  return `# fish completion for vnvdimm, ${made}.
# Install: vnvdimm completion fish > ~/.config/fish/completions/vnvdimm.fish

function __vnvdimm_subcommands
    switch $argv[1]
${subsCases.join("\n")}
    end
end

# Whether an option takes a value in a command path.
function __vnvdimm_takes_value
    switch "$argv[1]|$argv[2]"
${valueCases.join("\n")}
    end
    return 1
end

# The command path of the command line before the cursor ("" for the program, "pmem list").
function __vnvdimm_path
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath
    set -l positional 0
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '--*=*'
            case '-*'
                __vnvdimm_takes_value "$cmdpath" $t; and set skip 1
            case '*'
                if test $positional = 0; and contains -- $t (__vnvdimm_subcommands "$cmdpath")
                    set -a cmdpath $t
                else
                    set positional (math $positional + 1)
                end
        end
    end
    echo "$cmdpath"
end

function __vnvdimm_at
    set -l p (__vnvdimm_path)
    test "$p" = "$argv[1]"
end

${complete.join("\n")}
`;
}

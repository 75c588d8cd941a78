// `vnvdimm completion bash|zsh|fish`: the scripts, run by the shells
// themselves. bash's is driven as bash does at a TAB (COMP_WORDS, then the
// function `complete -p` names); fish's through `complete -C`; zsh's is
// syntax-checked and loaded under compinit. The set-up (scripts/system-deps.sh)
// installs zsh and fish; elsewhere their tests skip with the reason, on CI
// they fail instead.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCli } from "../../src/cli/main.js";
import { commandTree } from "../../src/cli/completion.js";
import { cli, ok } from "../helpers/cli.js";
import { tempDir } from "../api/daemon.js";

const has = (shell: string) => spawnSync(shell, ["-c", "exit 0"]).status === 0;
const skipUnless = (shell: string): string | false =>
  has(shell) ? false : process.env["CI"] ? false : `${shell} is not installed (scripts/system-deps.sh installs it with apt)`;

const tree = commandTree(buildCli({ out: () => undefined, err: () => undefined }, () => undefined));
const subsOf = (path: string) => tree.find((n) => n.path === path)!.subs.map((s) => s.name);

/** A scratch directory with a script, and files for file completion. */
function scratch(script: string, name: string): { dir: string; file: string } {
  const dir = tempDir("completion");
  mkdirSync(join(dir, "cfgs"));
  writeFileSync(join(dir, "vm1.cfg"), "name = 'vm1'\n");
  const file = join(dir, name);
  writeFileSync(file, script);
  return { dir, file };
}

test("completion: the command tree has every verb, and each script is made from it", async () => {
  assert.deepEqual(subsOf("pmem"), ["list", "map", "setup-mgmt", "setup-data", "forget", "reserve", "help"]);
  assert.ok(subsOf("").includes("completion"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const script = await ok("completion", shell);
    for (const verb of subsOf("")) assert.ok(script.includes(verb), `${shell}: ${verb}`);
  }
  const bad = await cli("completion", "tcsh");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Allowed choices are bash, zsh, fish/);
});

test("completion bash: sourced in bash, TAB completes verbs, subcommands, options and their values", async () => {
  const { dir, file } = scratch(await ok("completion", "bash"), "vnvdimm.bash");
  try {
    // What bash does at a TAB: COMP_WORDS and COMP_CWORD, then the function
    // `complete -p vnvdimm` names, with the command, the word and the one before.
    const driver = `source ${JSON.stringify(file)}
spec=$(complete -p vnvdimm) || exit 3
echo "spec:$spec"
fn=\${spec#*-F }; fn=\${fn%% *}
tab() {
  # bash breaks words at = too (COMP_WORDBREAKS): --labels=1. is three words.
  read -ra COMP_WORDS <<< "\${1//=/ = }"; [[ $1 == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 )); COMP_LINE=$1; COMP_POINT=\${#1}; COMPREPLY=()
  "$fn" vnvdimm "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s|%s\\n' "$1" "$(printf '%s\\n' "\${COMPREPLY[@]}" | sort | tr '\\n' ' ')"
}
tab 'vnvdimm pm'
tab 'vnvdimm pmem '
tab 'vnvdimm pmem li'
tab 'vnvdimm pmem list --'
tab 'vnvdimm pmem reserve --labels '
tab 'vnvdimm pmem reserve --labels=1.'
tab 'vnvdimm create --state cf'
tab 'vnvdimm create vm'
tab 'vnvdimm create --backend qemu vm'
tab 'vnvdimm destroy vm1 '
tab 'vnvdimm completion '
tab 'vnvdimm --v'`;
    const r = spawnSync("bash", ["--norc", "--noprofile", "-c", driver], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, "");
    const got = new Map(r.stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("|")), l.slice(l.indexOf("|") + 1).trim()]));
    assert.match(r.stdout, /^spec:complete -F _vnvdimm vnvdimm$/m);
    assert.equal(got.get("vnvdimm pm"), "pmem");
    assert.equal(got.get("vnvdimm pmem "), [...subsOf("pmem")].sort().join(" "));
    assert.equal(got.get("vnvdimm pmem li"), "list");
    assert.equal(got.get("vnvdimm pmem list --"), "--data --help --json --mgmt --raw --state");
    assert.equal(got.get("vnvdimm pmem reserve --labels "), "1.1 1.2");
    assert.equal(got.get("vnvdimm pmem reserve --labels=1."), "1.1 1.2");
    assert.equal(got.get("vnvdimm create --state cf"), "cfgs", "--state <dir> completes directories");
    assert.equal(got.get("vnvdimm create vm"), "vm1.cfg", "create's <config> completes files");
    assert.equal(got.get("vnvdimm create --backend qemu vm"), "vm1.cfg", "an option's value is not taken for the argument");
    assert.equal(got.get("vnvdimm destroy vm1 "), "", "a domain name is not a file");
    assert.equal(got.get("vnvdimm completion "), "bash fish zsh");
    assert.equal(got.get("vnvdimm --v"), "--version");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("completion fish: fish reads it, and `complete -C` completes from it", { skip: skipUnless("fish") }, async () => {
  const { dir, file } = scratch(await ok("completion", "fish"), "vnvdimm.fish");
  try {
    assert.equal(spawnSync("fish", ["--no-execute", file], { encoding: "utf8" }).status, 0);
    const names = (line: string) => {
      const r = spawnSync("fish", ["--no-config", "-c", `source ${JSON.stringify(file)}; complete -C ${JSON.stringify(line)}`], { cwd: dir, encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout.trim().split("\n").filter(Boolean).map((l) => l.split("\t")[0]).sort();
    };
    assert.deepEqual(names("vnvdimm pm"), ["pmem"]);
    assert.deepEqual(names("vnvdimm pmem "), [...subsOf("pmem")].sort());
    assert.deepEqual(names("vnvdimm pmem list --"), ["--data", "--help", "--json", "--mgmt", "--raw", "--state"]);
    assert.deepEqual(names("vnvdimm pmem reserve --labels "), ["1.1", "1.2"]);
    assert.deepEqual(names("vnvdimm create vm"), ["vm1.cfg"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("completion zsh: zsh parses it, and compinit loads it for vnvdimm", { skip: skipUnless("zsh") }, async () => {
  const { dir, file } = scratch(await ok("completion", "zsh"), "_vnvdimm");
  try {
    const n = spawnSync("zsh", ["-n", file], { encoding: "utf8" });
    assert.equal(n.status, 0, n.stderr);
    const probe = `autoload -Uz compinit && compinit -u -D
fpath=(${JSON.stringify(dir)} $fpath); autoload -Uz _vnvdimm; source ${JSON.stringify(file)}
print -r -- "comp:\${_comps[vnvdimm]}"
__vnvdimm_subcommands pmem; print -r -- "pmem:\${(j: :)\${(@)reply%%:*}}"
__vnvdimm_option_value 'pmem reserve' --labels; print -r -- "labels:$REPLY"
__vnvdimm_argument create 0; print -r -- "create:$REPLY"`;
    const r = spawnSync("zsh", ["-f", "-c", probe], { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^comp:_vnvdimm$/m);
    assert.match(r.stdout, new RegExp(`^pmem:${subsOf("pmem").join(" ")}$`, "m"));
    assert.match(r.stdout, /^labels:choice:1\.1 1\.2$/m);
    assert.match(r.stdout, /^create:file$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

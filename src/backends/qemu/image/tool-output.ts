// Parsers for the two host tools the image build asks about its inputs:
// `ldd` (which shared libraries a binary loads) and `modprobe --show-depends`
// (which module files, in load order). Pure, so they are tested on captured
// output.

/** The absolute paths of the libraries (and the ELF interpreter) in `ldd` output. */
export function parseLdd(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    // "libndctl.so.6 => /lib/x86_64-linux-gnu/libndctl.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const arrow = /^\s*\S+\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/i.exec(line);
    const direct = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/i.exec(line);
    const p = arrow?.[1] ?? direct?.[1];
    if (p && !out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * The module files of `modprobe --show-depends` output, first occurrence
 * kept, in the order modprobe would insert them. Built-in modules
 * ("builtin X") need no file and are dropped.
 */
export function parseShowDepends(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^insmod\s+(\/\S+\.ko(?:\.xz|\.zst|\.gz)?)(?:\s|$)/.exec(line.trim());
    if (m && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out;
}

/** A module file's name as /proc/modules shows it: basename without .ko*, dashes as underscores. */
export function moduleName(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.xz|\.zst|\.gz)?$/, "").replace(/-/g, "_");
}

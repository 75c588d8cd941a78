// The CLI gives the same results and the same errors whether it acts on the
// state directory itself or goes through a running daemon: the same verbs on
// two identical hosts, one served by `vnvdimm up`, compared output for
// output (text and --json), error for error, exit status for exit status.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, normalise } from "../cli/captured.js";
import { initReservedHost, listen, smallSpecFile, startDaemon, tempDir } from "./daemon.js";

test("every stateful verb: the same output, errors and exit status directly and through the daemon", { timeout: 180_000 }, async () => {
  const dir = tempDir("parity");
  const spec = smallSpecFile(dir);
  const direct = join(dir, "direct"), served = join(dir, "served");
  for (const state of [direct, served]) await initReservedHost(state, spec);
  writeFileSync(join(dir, "vm1.cfg"), `name = "vm1"\nmemory = 1024\nvnvdimms = [ 'size=64M, node=0, namespace=fsdax:data', 'size=32M, node=1, namespace=sector:logs, labels=v1.1' ]\n`);
  writeFileSync(join(dir, "bad.cfg"), `name = "bad"\nmemory = 1024\nvnvdimms = [ 'size=64M, nmespace=raw' ]\n`);
  writeFileSync(join(dir, "hello.txt"), "hello, both ways\n");
  const f = (n: string) => join(dir, n);

  const d = await startDaemon(served);
  const sse = await listen(d);
  const script: string[][] = [
    ["create", f("vm1.cfg")], ["create", f("vm1.cfg")], ["create", f("bad.cfg")], ["create", f("missing.cfg")],
    ["list"], ["show", "vm1"], ["show", "nosuch"], ["attach", "vm1", "size=32M, namespace=raw:s"], ["attach", "vm1", "size=999G"], ["attach", "vm1", "size=lots"],
    ["attach", "nosuch", "size=16M"], ["guest", "namespaces", "vm1"], ["guest", "write", "vm1", "s", "0", f("hello.txt")],
    ["guest", "read", "vm1", "s", "0", "17"], ["guest", "read", "vm1", "nope", "0", "5"], ["guest", "namespaces", "nosuch"],
    ["show", "vm1"], ["detach", "vm1", "vnvdimm2"], ["detach", "vm1", "vnvdimm9"], ["host", "mce", "0x1c0210"], ["host", "mce", "5"],
    ["host", "status"], ["pmem", "list"], ["pmem", "list", "--data"], ["pmem", "map"], ["pmem", "reserve", "--dimm", "0"],
    ["pmem", "reserve", "--dimm", "7"], ["pmem", "setup-mgmt", "1", "2"], ["delete", "vm1"], ["destroy", "vm1"], ["destroy", "vm1"],
    ["create", f("vm1.cfg")], ["destroy", "vm1"], ["delete", "nosuch"], ["delete", "vm1"], ["reclaim"], ["list"],
  ];
  const mutations = new Set(["create", "attach", "detach", "destroy", "delete", "reclaim", "mce", "reserve", "write"]);
  let changes = 0;
  // What only a living host can do: hotplug into a running guest, and tell it of an MCE. The rest must match.
  const seen = new Set<string>();
  const livingOnly = (t: string) => t
    .replace(/"hotplugged": true/, () => { seen.add("hotplug"); return '"hotplugged": false'; })
    .replace(/"guestTold": true/, () => { seen.add("mce"); return '"guestTold": false'; })
    .replace(/its running guest was notified and scrubbed \(`vnvdimm guest ars (\S+)`\)/, "its guest finds it by ARS (`vnvdimm guest ars $1`)");
  try {
    for (const argv of script) {
      for (const json of [true, false]) {
        // Text and JSON of a mutation cannot both run on one host: mutate once, in JSON; show state both ways.
        const mutating = argv.some((a) => mutations.has(a));
        if (mutating && !json) continue;
        const extra = json ? ["--json"] : [];
        const a = await cli([...argv, "--state", direct, ...extra]);
        const b = await cli([...argv, "--state", served, ...extra]);
        const what = `vnvdimm ${argv.join(" ")}${json ? " --json" : ""}`;
        assert.equal(b.code, a.code, `${what}: exit status\n${a.err}\n${b.err}`);
        assert.equal(livingOnly(normalise(b.out, served)), normalise(a.out, direct), `${what}: stdout`);
        assert.equal(normalise(b.err, served), normalise(a.err, direct), `${what}: stderr`);
        if (mutating && a.code === 0) changes++;
      }
    }
    // Proof that the second host's verbs went through the daemon: one change event for each mutation that succeeded.
    await sse.waitFor(() => sse.events.filter((e) => e.event === "change").length >= changes);
    assert.equal(sse.events.filter((e) => e.event === "change").length, changes);
    assert.ok(changes >= 10);
    assert.deepEqual([...seen].sort(), ["hotplug", "mce"], "the daemon's host is alive: it hotplugged and told a guest of an MCE");
  } finally {
    sse.close();
    await d.stop();
  }
});

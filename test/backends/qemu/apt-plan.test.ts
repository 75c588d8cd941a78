// What `vnvdimm setup qemu` asks apt for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_PACKAGES, parseQemuVersion, planInstall, versionAtLeast } from "../../../src/backends/index.js";

const all = (v: string | null) => new Map(ALL_PACKAGES.map((p) => [p, v]));

test("nothing to install when every package is there and QEMU is new enough", () => {
  assert.deepEqual(planInstall({ installed: all("1"), qemu: [10, 0, 2], codename: "bookworm" }), { packages: [], backportsSuite: null });
});

test("bookworm's own QEMU 7.2 is replaced from bookworm-backports", () => {
  assert.deepEqual(planInstall({ installed: all("1"), qemu: [7, 2, 0], codename: "bookworm" }), { packages: ["qemu-system-x86"], backportsSuite: "bookworm-backports" });
});

test("a fresh bookworm gets everything, QEMU from backports; another release gets QEMU from its own suite", () => {
  const fresh = planInstall({ installed: all(null), qemu: null, codename: "bookworm" });
  assert.deepEqual(fresh.packages, ["qemu-system-x86", "linux-image-amd64", "busybox-static", "ndctl", "daxctl", "e2fsprogs", "kmod"]);
  assert.equal(fresh.backportsSuite, "bookworm-backports");
  assert.equal(planInstall({ installed: all(null), qemu: null, codename: "trixie" }).backportsSuite, null);
  const some = all("1");
  some.set("ndctl", null);
  assert.deepEqual(planInstall({ installed: some, qemu: [8, 1, 0], codename: "bookworm" }).packages, ["ndctl"]);
});

test("QEMU versions: 8.1 is the first with memory-backend-file offset=", () => {
  assert.deepEqual(parseQemuVersion("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright"), [10, 0, 2]);
  assert.deepEqual(parseQemuVersion("QEMU emulator version 8.1\n"), [8, 1, 0]);
  assert.equal(parseQemuVersion("qemu-img version 8.0"), null);
  assert.ok(versionAtLeast([8, 1, 0], [8, 1]) && versionAtLeast([9, 0, 0], [8, 1]) && !versionAtLeast([8, 0, 9], [8, 1]) && !versionAtLeast([7, 2, 0], [8, 1]));
});

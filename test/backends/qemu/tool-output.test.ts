// Parsing what ldd and modprobe --show-depends print (captured from Debian 12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { moduleName, parseLdd, parseShowDepends } from "../../../src/backends/qemu/image/tool-output.js";

test("ldd: the libraries and the ELF interpreter, not the vDSO", () => {
  const out = `\tlinux-vdso.so.1 (0x00007ffd4b3f1000)
\tlibndctl.so.6 => /lib/x86_64-linux-gnu/libndctl.so.6 (0x00007f2a1b5a0000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2a1b3bf000)
\tlibnotfound.so.1 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f2a1b63b000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2a1b3bf000)
`;
  assert.deepEqual(parseLdd(out), ["/lib/x86_64-linux-gnu/libndctl.so.6", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]);
  assert.deepEqual(parseLdd("\tnot a dynamic executable\n"), []);
});

test("modprobe --show-depends: insmod lines in order, once each; builtins need no file", () => {
  const out = `insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/nvdimm/libnvdimm.ko 
insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/acpi/nfit/nfit.ko 
insmod /lib/modules/6.1.0-56-amd64/kernel/drivers/nvdimm/libnvdimm.ko 
builtin dax
insmod /lib/modules/6.1.0-56-amd64/kernel/crypto/crc32c_generic.ko.xz 
insmod /lib/modules/6.1.0-56-amd64/kernel/fs/ext4/ext4.ko
`;
  assert.deepEqual(parseShowDepends(out).map((p) => p.split("/").at(-1)), ["libnvdimm.ko", "nfit.ko", "crc32c_generic.ko.xz", "ext4.ko"]);
  assert.equal(moduleName("/x/crc32c-intel.ko.zst"), "crc32c_intel");
  assert.equal(moduleName("kernel/drivers/dax/dax_pmem.ko"), "dax_pmem");
});

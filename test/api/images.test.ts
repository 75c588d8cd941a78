// image= through the HTTP API: the daemon reads image files as its own user
// on a client's behalf, so it reads them only from the images directory the
// administrator named (`vnvdimm up --images DIR`): regular files, resolved
// with realpath, no `..` or symlink out, no larger than their namespace.
// Without --images, every image= is refused.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { api, initReservedHost, smallSpecFile, startDaemon, tempDir, type ApiResult, type Daemon } from "./daemon.js";

let plain: Daemon, confined: Daemon, images: string, outside: string;

before(async () => {
  const dir = tempDir("images");
  images = join(dir, "images");
  mkdirSync(images);
  outside = join(dir, "secret.img");
  writeFileSync(outside, "not for API clients");
  writeFileSync(join(images, "hello.img"), "hello from the images directory");
  mkdirSync(join(images, "sub"));
  writeFileSync(join(images, "sub", "nested.img"), "nested");
  symlinkSync(outside, join(images, "escape.img"));
  symlinkSync("/dev/zero", join(images, "zero.img"));
  assert.equal(spawnSync("mkfifo", [join(images, "fifo.img")]).status, 0, "mkfifo");
  const big = join(images, "big.img");
  writeFileSync(big, "");
  truncateSync(big, 100 << 20);
  const spec = smallSpecFile(dir);
  await initReservedHost(join(dir, "plain"), spec);
  await initReservedHost(join(dir, "confined"), spec);
  [plain, confined] = await Promise.all([startDaemon(join(dir, "plain")), startDaemon(join(dir, "confined"), ["--images", images])]);
});

after(async () => {
  for (const d of [plain, confined]) assert.equal((await d.stop()).code, 0, d.stderr());
});

const config = (name: string, image: string) => `name = "${name}"\nmemory = 1024\nvnvdimms = [ 'size=64M, namespace=fsdax:data, image=${image}' ]\n`;

function assertRefused(r: ApiResult, status: number, error: string, message: RegExp): void {
  assert.equal(r.status, status, r.text);
  const b = r.body as Record<string, unknown>;
  assert.equal(b["error"], error, r.text);
  assert.ok(!(b["message"] as string).includes("\n") && !r.text.includes("    at "), "one line, no stack trace");
  assert.match(b["message"] as string, message);
}

async function domains(d: Daemon): Promise<string[]> {
  return ((await api(d, "GET", "/api/domains")).body as { domains: { name: string }[] }).domains.map((x) => x.name);
}

test("without --images, the API refuses every image= (create and attach) with a 403 saying how to allow it", async () => {
  for (const image of ["/etc/shadow", "/etc/passwd", "/dev/zero", join(images, "hello.img")]) {
    const r = await api(plain, "POST", "/api/domains", { config: config("vm", image) }, plain.token);
    assertRefused(r, 403, "forbidden", /reads no image= files/);
    assert.match((r.body as { hint: string }).hint, /vnvdimm up --images DIR/);
  }
  assert.equal((await api(plain, "POST", "/api/domains", { config: config("vm", "x").replace(/, image=x/, "") }, plain.token)).status, 201);
  assertRefused(await api(plain, "POST", "/api/domains/vm/vnvdimms", { spec: "size=64M, namespace=fsdax:more, image=/etc/passwd" }, plain.token), 403, "forbidden", /reads no image= files/);
  assert.deepEqual(await domains(plain), ["vm"]);
});

test("with --images DIR, paths outside DIR are refused: absolute, `..`, and symlinks out of it", async () => {
  for (const image of ["/etc/shadow", "/etc/passwd", "/dev/zero", outside, "../secret.img", `${images}/../secret.img`, "sub/../../secret.img", "escape.img", "zero.img", "/nonexistent/x.img"]) {
    assertRefused(await api(confined, "POST", "/api/domains", { config: config("vm", image) }, confined.token), 403, "forbidden", /is outside the images directory/);
  }
  assert.deepEqual(await domains(confined), []);
});

test("with --images DIR, a FIFO or a file larger than its namespace is refused at once, and the daemon stays responsive", async () => {
  const t0 = Date.now();
  assertRefused(await api(confined, "POST", "/api/domains", { config: config("vm", "fifo.img") }, confined.token), 400, "invalid-input", /not a regular file/);
  assertRefused(await api(confined, "POST", "/api/domains", { config: config("vm", "sub") }, confined.token), 400, "invalid-input", /not a regular file/);
  assertRefused(await api(confined, "POST", "/api/domains", { config: config("vm", "big.img") }, confined.token), 400, "invalid-input", /104857600 bytes, larger than the \d+-byte data area/);
  assertRefused(await api(confined, "POST", "/api/domains", { config: config("vm", "missing.img") }, confined.token), 400, "invalid-input", /no such file in/);
  assert.ok(Date.now() - t0 < 20_000, "bounded");
  assert.equal((await api(confined, "GET", "/api/health")).status, 200);
  assert.deepEqual(await domains(confined), []);
});

test("with --images DIR, an image inside it (relative or absolute, in a subdirectory too) lands in the guest's namespace", async () => {
  const t = confined.token;
  for (const [name, image, text] of [["rel", "hello.img", "hello from the images directory"], ["abs", join(images, "sub", "nested.img"), "nested"]] as const) {
    const r = await api(confined, "POST", "/api/domains", { config: config(name, image) }, t);
    assert.equal(r.status, 201, r.text);
    const read = await api(confined, "GET", `/api/domains/${name}/namespaces/data/data?offset=0&length=${text.length}`, undefined, t);
    assert.equal(read.status, 200, read.text);
    assert.equal(Buffer.from((read.body as { base64: string }).base64, "base64").toString(), text);
  }
  const attached = await api(confined, "POST", "/api/domains/rel/vnvdimms", { spec: "size=64M, namespace=fsdax:more, image=sub/nested.img" }, t);
  assert.equal(attached.status, 201, attached.text);
  assertRefused(await api(confined, "POST", "/api/domains/rel/vnvdimms", { spec: "size=64M, namespace=fsdax:evil, image=escape.img" }, t), 403, "forbidden", /outside/);
});

// A lost reservation in the dashboard: a host whose DIMM 0 reservation record
// was damaged while no host ran (a torn write, or another OS) shows a banner
// above everything, naming the reservation and what is there now, with the
// way to acknowledge it. Real daemon, real Chromium, as dashboard.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { chromiumMissing, launchChromium, type Browser } from "./chromium.js";
import { initReservedHost, runCli, smallSpecFile, startDaemon, tempDir, type Daemon } from "../api/daemon.js";

const missing = chromiumMissing();
const skip = missing !== null && !process.env.CI ? missing : false;

describe("a lost reservation in the dashboard", { skip, timeout: 120_000 }, () => {
  let dir: string;
  let daemon: Daemon;
  let browser: Browser;
  let page: Page;
  let lostUuid: string;

  before(async () => {
    if (missing) throw new Error(missing);
    dir = tempDir("web-lost");
    const state = join(dir, "state");
    await initReservedHost(state, smallSpecFile(dir));
    const status = JSON.parse((await runCli(["host", "status", "--json", "--state", state], { VNVDIMM_NO_AUTOSTART: "1" })).out) as {
      reservations: { handle: number; uuid: string }[]; dimms: { handle: number; namespaces: { dpa: number; content: string }[] }[];
    };
    const dimm0 = status.dimms[0]!;
    lostUuid = status.reservations.find((r) => r.handle === dimm0.handle)!.uuid;
    const at = dimm0.namespaces.find((n) => n.content === "reservation")!.dpa + 4096 + 300;
    // One byte of the record's body flipped, its checksum not: what a torn write leaves.
    const fd = openSync(join(state, "host", "nvdimm0.img"), "r+");
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, at);
      writeSync(fd, Buffer.of(b[0]! ^ 0xff), 0, 1, at);
    } finally { closeSync(fd); }
    daemon = await startDaemon(state);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${daemon.url}#token=${daemon.token}`);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop("SIGINT");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the banner names the lost reservation, says what happened, and how to acknowledge it", async () => {
    const banner = page.locator(".lost-reservations");
    await banner.waitFor();
    assert.equal(await banner.getAttribute("role"), "alert");
    assert.match(await banner.locator("h2").innerText(), /A reservation is lost/);
    const item = banner.locator(`li[data-reservation="${lostUuid}"]`);
    assert.match(await item.innerText(), /damaged \(rsv\.checksum\)/);
    assert.match(await banner.innerText(), /vnvdimm pmem forget UUID/);
    assert.match(daemon.stderr(), new RegExp(`LOST RESERVATION ${lostUuid} on dimm handle 0x[0-9a-f]+: its record is damaged`), "vnvdimm up says it when it starts");
    // The rest of the page still works: DIMM 1's reservation is intact.
    await page.locator(".dimm").first().waitFor();
  });
});

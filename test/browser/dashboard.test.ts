// The dashboard in a real browser against a real daemon: `vnvdimm up` on a
// temp state dir, Debian's Chromium driven by playwright-core. It creates a
// domain through the form (keyboard only), checks that the picture and the
// list show it (the same MFNs the API reports), injects an MCE from the page
// and reads the guest's scrub results (ARS), sees a CLI change arrive over SSE, and saves a screenshot as an artifact
// (test-artifacts/dashboard.png; UPDATE_SCREENSHOT=1 also refreshes
// docs/dashboard.png for the README).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Page } from "playwright-core";
import { chromiumMissing, launchChromium, type Browser } from "./chromium.js";
import { BIN, runCli, startDaemon, tempDir, type Daemon } from "../api/daemon.js";

const ROOT = dirname(dirname(BIN));

const missing = chromiumMissing();
// On CI the browser test must run: a missing Chromium fails there instead of skipping.
const skip = missing !== null && !process.env.CI ? missing : false;

interface ApiDomain { name: string; status: string; vnvdimms: { id: string; smfn: number; nrPages: number; node: number; gpa: number | null }[] }

const hex = (n: number) => `0x${n.toString(16)}`;

async function apiDomains(d: Daemon): Promise<ApiDomain[]> {
  const r = await fetch(new URL("api/domains", d.url));
  assert.equal(r.status, 200);
  return ((await r.json()) as { domains: ApiDomain[] }).domains;
}

/** The `name` attribute (or text) of the focused element, to follow the keyboard. */
async function focused(page: Page): Promise<string> {
  const el = page.locator(":focus");
  return (await el.getAttribute("name")) ?? (await el.getAttribute("aria-label")) ?? (await el.innerText());
}

function backgroundOf(style: string | null): string {
  return /background-color:\s*([^;]+)/.exec(style ?? "")?.[1]?.trim() ?? "";
}

describe("dashboard in Chromium", { skip, timeout: 180_000 }, () => {
  let state: string;
  let daemon: Daemon;
  /** The dashboard URL as `vnvdimm up` prints it: the token in the fragment. */
  let openUrl: string;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    if (missing) throw new Error(missing);
    assert.ok(existsSync(join(ROOT, "dist", "web", "index.html")), "dist/web/index.html is missing: `npm run build` builds the dashboard");
    state = tempDir("web");
    daemon = await startDaemon(state, ["--init", "--demo"]);
    openUrl = `${daemon.url}#token=${daemon.token}`;
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // The browser logs every 4xx answer; the bad-config test provokes one on purpose.
    page.on("console", (m) => { if (m.type() === "error" && !/status of 4\d\d/.test(m.text())) pageErrors.push(m.text()); });
    await page.goto(openUrl);
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop("SIGINT");
    if (state) rmSync(state, { recursive: true, force: true });
  });

  test("shows the host's DIMMs and the demo domain, and takes the token out of the URL", async () => {
    await page.locator(".dimm").first().waitFor();
    assert.equal(await page.locator(".dimm").count(), 2);
    for (const kind of ["reservation", "mgmt", "extent", "data-free", "label-area"]) {
      assert.ok(await page.locator(`.dimm[data-dimm="0"] .seg[data-kind="${kind}"]`).count() >= 1, `DIMM 0 shows a ${kind} segment`);
    }
    await page.locator('article.domain[data-domain="demo"]').waitFor();
    assert.equal(await page.locator('article.domain[data-domain="demo"] .pill').textContent(), "running");
    assert.ok(!page.url().includes("token="), "the token left the address bar");
    await page.locator(".live.live").waitFor();
  });

  test("each bar is covered by its segments in MFN order, none too thin to see", async () => {
    for (const dimm of await page.locator(".dimm").all()) {
      const bar = (await dimm.locator(".bar").boundingBox())!;
      const boxes = await Promise.all((await dimm.locator(".seg").all()).map(async (s) => ({ box: (await s.boundingBox())!, smfn: await s.getAttribute("data-smfn") })));
      let x = bar.x;
      for (const { box } of boxes) {
        assert.ok(Math.abs(box.x - x) <= 1, `segments follow each other without gaps (${box.x} vs ${x})`);
        assert.ok(box.width >= bar.width * 0.01, `a segment is at least 1% of the bar (${box.width} of ${bar.width})`);
        x = box.x + box.width;
      }
      assert.ok(Math.abs(x - (bar.x + bar.width)) <= 1, "the segments fill the bar");
      const mfns = boxes.flatMap((b) => (b.smfn === null ? [] : [Number(b.smfn)]));
      assert.deepEqual(mfns, [...mfns].sort((a, b) => a - b), "in MFN order");
    }
  });

  test("creates a domain through the form, with the keyboard", async () => {
    const opener = page.getByRole("button", { name: "Create domain…" });
    await opener.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create a domain" });
    await dialog.waitFor();
    assert.equal(await focused(page), "name", "the dialog starts in its first field");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("web1");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("1024");

    await dialog.getByRole("textbox", { name: "vNVDIMM 0 size" }).fill("256M");
    await dialog.getByRole("combobox", { name: "vNVDIMM 0 NUMA node" }).selectOption("0");
    await dialog.getByRole("combobox", { name: "vNVDIMM 0 namespace mode" }).selectOption("devdax");
    await dialog.getByRole("textbox", { name: "vNVDIMM 0 namespace name" }).fill("dax0");

    await dialog.getByRole("button", { name: "Add a vNVDIMM" }).focus();
    await page.keyboard.press("Enter");
    await dialog.getByRole("textbox", { name: "vNVDIMM 1 size" }).fill("128M");
    await dialog.getByRole("combobox", { name: "vNVDIMM 1 NUMA node" }).selectOption("1");
    await dialog.getByRole("combobox", { name: "vNVDIMM 1 namespace mode" }).selectOption("sector");
    await dialog.getByRole("textbox", { name: "vNVDIMM 1 namespace name" }).fill("log");
    await dialog.getByRole("combobox", { name: "vNVDIMM 1 label version" }).selectOption("v1.1");

    // Enter in a field submits the form, as in any dialog.
    await dialog.getByRole("textbox", { name: "vNVDIMM 1 namespace name" }).press("Enter");
    await dialog.waitFor({ state: "hidden" });
    await page.locator(".statusbar.ok").filter({ hasText: "Created domain web1" }).waitFor();
    assert.equal(await focused(page), "Create domain…", "focus returns to the button that opened the dialog");
  });

  test("the list and the picture show the new domain, on the pages the API reports", async () => {
    const card = page.locator('article.domain[data-domain="web1"]');
    await card.waitFor();
    assert.equal(await card.locator(".pill").textContent(), "running");
    assert.equal(await card.locator("tr[data-vnvdimm]").count(), 2);
    await card.locator("td", { hasText: "devdax" }).waitFor();
    await card.locator("td", { hasText: "sector" }).waitFor();
    assert.match(await card.innerText(), /dax0[\s\S]*devdax[\s\S]*log[\s\S]*sector/);

    const web1 = (await apiDomains(daemon)).find((d) => d.name === "web1");
    assert.ok(web1, "the API lists web1");
    const segs = page.locator('.seg-extent[data-domain="web1"]');
    assert.equal(await segs.count(), 2, "one coloured extent per vNVDIMM");
    const shown = (await Promise.all((await segs.all()).map((s) => s.getAttribute("data-smfn")))).map(Number).sort((a, b) => a - b);
    assert.deepEqual(shown, web1.vnvdimms.map((v) => v.smfn).sort((a, b) => a - b), "the picture draws the extents at the MFNs the API reports");
    assert.equal(await page.locator('.dimm[data-dimm="1"] .seg-extent[data-domain="web1"]').count(), 1, "node=1 landed on DIMM 1, the node-1 DIMM");

    const webColor = backgroundOf(await segs.first().getAttribute("style"));
    const demoColor = backgroundOf(await page.locator('.seg-extent[data-domain="demo"]').first().getAttribute("style"));
    assert.ok(webColor && demoColor && webColor !== demoColor, `web1 (${webColor}) and demo (${demoColor}) have colours of their own`);
    assert.ok(await page.locator(".legend li", { hasText: "web1" }).count() === 1, "the legend names web1");

    // Focus (not only hover) shows the exact ranges.
    const v0 = web1.vnvdimms.find((v) => v.id === "vnvdimm0")!;
    await page.locator(`.seg-extent[data-smfn="${v0.smfn}"]`).focus();
    const tip = page.getByRole("tooltip");
    await tip.waitFor();
    const text = await tip.innerText();
    assert.match(text, /web1 · vnvdimm0/);
    assert.ok(text.includes(`0x${v0.smfn.toString(16)}–0x${(v0.smfn + v0.nrPages - 1).toString(16)}`), `the tooltip gives the MFN range: ${text}`);
    assert.match(text, /File offset\s+0x[0-9a-f]+–0x[0-9a-f]+/);
    await page.keyboard.press("ArrowRight");
    assert.doesNotMatch(await page.getByRole("tooltip").innerText(), /web1 · vnvdimm0/, "arrow keys move to the next segment");
  });

  test("a bad config gets one line with a hint, the dialog stays open, Escape closes it", async () => {
    await page.getByRole("button", { name: "Create domain…" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create a domain" });
    await dialog.getByRole("checkbox", { name: "Edit the config text" }).check();
    await dialog.getByRole("textbox", { name: "Config (xl style)" }).fill('name = "bad"\nmemory = 2G\n');
    await dialog.getByRole("button", { name: "Create", exact: true }).focus();
    await page.keyboard.press("Enter");
    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    const line = await alert.innerText();
    assert.match(line, /memory/);
    assert.match(line, / — /, `the error carries a hint: ${line}`);
    assert.ok(!line.includes("\n") && !/at .*\.js/.test(line), `one line, no stack: ${line}`);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal((await apiDomains(daemon)).some((d) => d.name === "bad"), false);
  });

  test("injects an MCE on one of the domain's pages, and the picture marks it", async () => {
    const web1 = (await apiDomains(daemon)).find((d) => d.name === "web1")!;
    const v1 = web1.vnvdimms.find((v) => v.id === "vnvdimm1")!;
    await page.getByRole("button", { name: "Inject an MCE into a page of web1" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Inject a machine check" });
    await dialog.getByRole("combobox", { name: "vNVDIMM" }).selectOption("web1/vnvdimm1");
    await dialog.getByRole("textbox", { name: "Page in the extent" }).fill("100");
    await dialog.getByRole("textbox", { name: "Page in the extent" }).press("Enter");
    await dialog.waitFor({ state: "hidden" });
    await page.locator(".statusbar.ok").filter({ hasText: `Injected an MCE on MFN ${hex(v1.smfn + 100)}: domain web1's running guest was told and scrubbed` }).waitFor();
    const marker = page.locator(`.broken-marker[data-mfn="${v1.smfn + 100}"]`);
    await marker.waitFor();
    assert.equal(await page.locator('.dimm[data-dimm="1"] .broken-marker').count(), 1);
  });

  test("the guest's scrub results show the broken range and the error its driver handled, and follow a CLI MCE live", async () => {
    const web1 = (await apiDomains(daemon)).find((d) => d.name === "web1")!;
    const [v0, v1] = [web1.vnvdimms.find((v) => v.id === "vnvdimm0")!, web1.vnvdimms.find((v) => v.id === "vnvdimm1")!];
    const opener = page.getByRole("button", { name: "Scrub results of web1: the broken ranges its guest sees" });
    await opener.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Scrub results of web1" });
    await dialog.waitFor();
    const records = dialog.getByRole("table", { name: "Broken ranges seen by the guest" });
    const row = records.locator(`tr[data-address="${hex(v1.gpa! + 100 * 4096)}"]`);
    await row.waitFor();
    const cells = await row.locator("th, td").allInnerTexts();
    assert.deepEqual(cells, ["1", "vnvdimm1", hex(v1.gpa! + 100 * 4096), "4 KiB", hex(v1.smfn + 100)], "DIMM = handle − 1, the guest address, its length and the host page behind it");
    const events = dialog.getByRole("table", { name: "Notifications the guest's driver handled" });
    await events.locator('tr[data-kind="uncorrectable-error"]').waitFor();
    assert.match(await events.innerText(), /uncorrectable-error/);
    assert.match(await dialog.getByRole("status").innerText(), /Scrubbed at [\d:]+: 1 broken range/);

    // A machine check from the CLI reaches the open view over SSE: the guest was told, the view scrubs again.
    const r = await runCli(["host", "mce", hex(v0.smfn + 7), "--state", state]);
    assert.equal(r.code, 0, r.err);
    await records.locator(`tr[data-address="${hex(v0.gpa! + 7 * 4096)}"]`).waitFor();
    assert.equal(await events.locator('tr[data-kind="uncorrectable-error"]').count(), 2);
    assert.match(await dialog.getByRole("status").innerText(), /2 broken ranges/);

    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.equal(await focused(page), "Scrub results of web1: the broken ranges its guest sees", "focus returns to the button that opened it");
  });

  test("a change made with the CLI arrives over SSE, without a reload", async () => {
    const r = await runCli(["destroy", "web1", "--state", state]);
    assert.equal(r.code, 0, r.err);
    const card = page.locator('article.domain[data-domain="web1"]');
    await card.locator(".pill", { hasText: "stopped" }).waitFor();
    assert.equal(await page.locator('.seg-extent.seg-stopped[data-domain="web1"]').count(), 2, "held extents are drawn as stopped");
    // And back, from the page: Start creates it again on the same pages.
    const before = (await apiDomains(daemon)).find((d) => d.name === "web1")!.vnvdimms.map((v) => v.smfn);
    await card.getByRole("button", { name: "Start web1 on the same pages" }).focus();
    await page.keyboard.press("Enter");
    await card.locator(".pill", { hasText: "running" }).waitFor();
    assert.deepEqual((await apiDomains(daemon)).find((d) => d.name === "web1")!.vnvdimms.map((v) => v.smfn), before);
  });

  test("a long action shows the daemon's progress for it; detach asks first", async () => {
    const card = page.locator('article.domain[data-domain="web1"]');
    // Hold the daemon's answer back so the progress can be seen; its events still arrive live.
    const held = "**/api/domains/web1/vnvdimms";
    await page.route(held, async (route) => {
      const response = await route.fetch();
      await new Promise((r) => setTimeout(r, 1500));
      await route.fulfill({ response });
    });
    await card.getByRole("button", { name: "Attach a vNVDIMM to web1" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Attach a vNVDIMM to web1" });
    await dialog.getByRole("textbox", { name: "New vNVDIMM size" }).fill("64M");
    await dialog.getByRole("combobox", { name: "New vNVDIMM namespace mode" }).selectOption("raw");
    await dialog.getByRole("textbox", { name: "New vNVDIMM namespace name" }).fill("extra");
    await page.keyboard.press("Enter");
    const activity = page.locator(".statusbar .activity");
    await activity.waitFor();
    assert.match(await activity.innerText(), /Attaching a vNVDIMM to web1/);
    // Filled in only by a `progress` event carrying this request's X-Operation-Id.
    await activity.locator(".activity-step").waitFor();
    await dialog.waitFor({ state: "hidden" });
    await page.unroute(held);
    await page.locator(".statusbar.ok .ok-line").filter({ hasText: /^Attached vnvdimm\d+ to web1: hotplugged into the running guest$/ }).waitFor();
    await card.getByRole("rowheader", { name: "extra" }).waitFor();

    const added = (await apiDomains(daemon)).find((d) => d.name === "web1")!.vnvdimms.find((v) => !["vnvdimm0", "vnvdimm1"].includes(v.id))!;
    await card.getByRole("button", { name: `Detach ${added.id} from web1` }).focus();
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("dialog", { name: `Detach ${added.id} from web1?` });
    await confirm.waitFor();
    await page.keyboard.press("Enter");
    await confirm.waitFor({ state: "hidden" });
    await card.locator(`tr[data-vnvdimm="${added.id}"]`).waitFor({ state: "detached" });
    assert.equal((await apiDomains(daemon)).find((d) => d.name === "web1")!.vnvdimms.length, 2);
    assert.equal(await focused(page), "Attach a vNVDIMM to web1", "focus stays in the domain, not lost with the removed row");
  });

  test("an action in a tab without the token asks for it, refuses a wrong one, and works with the right one", async () => {
    const tab = await browser.context.newPage();
    tab.setDefaultTimeout(20_000);
    try {
      await tab.goto(daemon.url);
      const card = tab.locator('article.domain[data-domain="demo"]');
      await card.getByRole("button", { name: "Destroy (stop) demo" }).click();
      const ask = tab.getByRole("dialog", { name: "API token needed" });
      await ask.waitFor();
      await ask.getByRole("textbox", { name: "Token" }).fill("not-the-token");
      await tab.keyboard.press("Enter");
      await ask.getByRole("alert").filter({ hasText: "refused that token" }).waitFor();
      await ask.getByRole("textbox", { name: "Token" }).fill(daemon.token);
      await tab.keyboard.press("Enter");
      await card.locator(".pill", { hasText: "stopped" }).waitFor();
      await card.getByRole("button", { name: "Start demo on the same pages" }).click();
      await card.locator(".pill", { hasText: "running" }).waitFor();
      // Cancelling the question leaves the action undone, with one line saying why.
      await tab.evaluate("sessionStorage.clear()");
      await card.getByRole("button", { name: "Destroy (stop) demo" }).click();
      await ask.waitFor();
      await tab.keyboard.press("Escape");
      await tab.locator(".statusbar.error").getByRole("alert").waitFor();
      assert.equal((await apiDomains(daemon)).find((d) => d.name === "demo")!.status, "running");
    } finally {
      await tab.close();
    }
  });

  test("saves a screenshot", async () => {
    // The picture with a tooltip open on web1's extent on DIMM 1 (where the broken page is).
    const web1 = (await apiDomains(daemon)).find((d) => d.name === "web1")!;
    const seg = page.locator(`.seg-extent[data-smfn="${web1.vnvdimms[1]!.smfn}"]`);
    await page.getByRole("button", { name: "Dismiss" }).click();
    await seg.hover();
    await page.getByRole("tooltip").filter({ hasText: "web1 · vnvdimm1" }).waitFor();
    const dir = join(ROOT, "test-artifacts");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "dashboard.png");
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(existsSync(file));
    if (process.env.UPDATE_SCREENSHOT === "1") copyFileSync(file, join(ROOT, "docs", "dashboard.png"));
    assert.deepEqual(pageErrors, [], "no errors in the page");
  });

  test("destroy and delete from the page free the extents in the picture", async () => {
    const card = page.locator('article.domain[data-domain="web1"]');
    await card.getByRole("button", { name: "Destroy (stop) web1" }).focus();
    await page.keyboard.press("Enter");
    await card.locator(".pill", { hasText: "stopped" }).waitFor();
    assert.equal(await focused(page), "Start web1 on the same pages", "the same button, now Start, keeps the focus");
    await card.getByRole("button", { name: "Delete web1 and release its extents" }).focus();
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("dialog", { name: "Delete web1?" });
    await confirm.waitFor();
    await page.keyboard.press("Enter");
    await card.waitFor({ state: "detached" });
    assert.equal(await page.locator('.seg-extent[data-domain="web1"]').count(), 0, "no extent of web1 is drawn");
    assert.equal(await page.locator(".legend li", { hasText: "web1" }).count(), 0);
    assert.equal(await focused(page), "Create domain…");
    assert.equal((await apiDomains(daemon)).some((d) => d.name === "web1"), false);
  });

  test("Ctrl-C stops the daemon cleanly", async () => {
    const r = await daemon.stop("SIGINT");
    assert.equal(r.code, 0, r.stderr);
  });
});

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  GuestFit, NvdimmHotplug, DeviceModelError, NVDR_NOTIFY, GuestDeviceModel, planGuestLayout,
  ArsCapIn, ArsCapOut, ArsStartIn, ArsStartOut, ArsStatusOut, ArsRecord, arsStatusWord,
  type AcpiNotification, type GuestNvdimm,
} from "../../src/devicemodel/index.js";
import { KiB128, MiB } from "./helpers.js";

const d = (slot: number): GuestNvdimm => ({ slot, gpa: BigInt(slot + 4) << 30n, sizeBytes: 16n * MiB, node: 0, unarmed: false });

test("plug and unplug update the FIT, mark it dirty and notify NVDR with 0x80", () => {
  const fit = new GuestFit();
  assert.equal(fit.dirty, false);
  const events: AcpiNotification[] = [];
  const hp = new NvdimmHotplug(fit, (e) => events.push(e));
  hp.plug(d(1));
  hp.plug(d(0));
  assert.deepEqual(fit.dimms().map((x) => x.slot), [0, 1]);
  assert.equal(fit.bytes().length, 2 * 184);
  fit.readFit(0);
  assert.equal(fit.dirty, false);
  assert.equal(hp.unplug(0), true);
  assert.equal(fit.dirty, true);
  assert.equal(hp.unplug(0), false);
  assert.deepEqual(fit.dimms().map((x) => x.slot), [1]);
  assert.deepEqual(events, Array(3).fill({ device: "\\_SB.NVDR", value: NVDR_NOTIFY.FIT_CHANGED }));
  assert.throws(() => hp.plug(d(1)), (e: unknown) => e instanceof DeviceModelError && e.code === "fit.slot-in-use");
  assert.equal(events.length, 3, "a refused plug does not notify");
  hp.reportUncorrectableError();
  assert.equal(events[3]!.value, 0x81);
});

test("the device model reports a new bad range with Notify(NVDR, 0x81)", () => {
  const events: AcpiNotification[] = [];
  const layout = planGuestLayout({ ramBytes: 512n * MiB, vnvdimms: [{ slot: 0, extentBytes: 32n * MiB, labelBytes: KiB128, node: 0, unarmed: false }] });
  const dm = new GuestDeviceModel(layout, { labelStore: () => undefined, badRanges: () => [], notify: (e) => events.push(e) });
  dm.reportUncorrectableError();
  assert.deepEqual(events, [{ device: "\\_SB.NVDR", value: 0x81 }]);
});

test("ARS buffers have the sizes of ACPI 6.4 §9.20.7 and Linux's ndctl.h", () => {
  // nd_cmd_ars_cap: 16 in, then status + 12; nd_cmd_ars_start: 24 in, status + 4;
  // nd_cmd_ars_status: status + 44 header; nd_ars_record: 24.
  assert.deepEqual([ArsCapIn.size, ArsCapOut.size, ArsStartIn.size, ArsStartOut.size, ArsStatusOut.size, ArsRecord.size], [16, 12, 24, 4, 44, 24]);
  assert.deepEqual([ArsStatusOut.offsetOf("address"), ArsStatusOut.offsetOf("recordCount")], [4, 40]);
  assert.equal(arsStatusWord(6, 3), 0x0003_0006);
  assert.equal(arsStatusWord(0, 0xffff), 0xffff_0000);
});

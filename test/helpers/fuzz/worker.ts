// Worker thread entry: runs one fuzz group, so the test's main thread can
// time out a decoder that never returns.
import { parentPort, workerData } from "node:worker_threads";
import { runGroup, type Group, type GroupResult } from "./run.js";

export interface WorkerInput {
  group: Group;
  seed: number;
  scale: number;
  /** Date.now() after which the run stops early. */
  deadline: number;
  /** Int32Array [target, input] that the main thread watches. */
  heartbeat: SharedArrayBuffer;
}

/** Messages to the main thread: the target names first, then the result. */
export type WorkerMessage = { type: "start"; targets: string[] } | { type: "done"; result: GroupResult };

const input = workerData as WorkerInput;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const beat = new Int32Array(input.heartbeat);
const result = runGroup(input.group, input.seed, input.scale, input.deadline, (targets) => post({ type: "start", targets }), (target, i) => {
  Atomics.store(beat, 0, target);
  Atomics.store(beat, 1, i);
});
post({ type: "done", result });

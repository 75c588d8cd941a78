// Worker thread entry: runs one fuzz group, so the test's main thread can
// time out a decoder that never returns.
import { parentPort, workerData } from "node:worker_threads";
import { runGroup, type Group } from "./run.js";

export interface WorkerInput {
  group: Group;
  seed: number;
  scale: number;
  /** Date.now() after which the run stops early. */
  deadline: number;
  /** Int32Array [target, input] that the main thread watches. */
  heartbeat: SharedArrayBuffer;
}

const input = workerData as WorkerInput;
const beat = new Int32Array(input.heartbeat);
const result = runGroup(input.group, input.seed, input.scale, input.deadline, (target, i) => {
  Atomics.store(beat, 0, target);
  Atomics.store(beat, 1, i);
});
parentPort!.postMessage(result);

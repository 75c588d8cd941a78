// A writer in its own process, for the journal's crash test: it applies
// steps FROM..TO-1 of ledger-model.ts, each under the toolstack lock, and
// prints `ack i` once step i's writeLedger has returned (the mutation is
// acknowledged). VNVDIMM_CRASH_AT in its environment kills it part way.
//   node ledger-writer-child.js STATE FROM TO
import { readLedger, withLedgerLock, writeLedger } from "../../src/toolstack/index.js";
import { step } from "./ledger-model.js";

const [state, from, to] = process.argv.slice(2);
for (let i = Number(from); i < Number(to); i++) {
  withLedgerLock(state!, () => writeLedger(state!, step(readLedger(state!), i)));
  process.stdout.write(`ack ${i}\n`);
}

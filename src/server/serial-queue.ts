// One command at a time: every request boots the host from its state and
// the ledger has one writer, so requests run in arrival order, never
// interleaved (a command that awaits keeps the next one waiting).
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  get depth(): number {
    return this.waiting;
  }

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    this.waiting++;
    const next = this.tail.then(fn).finally(() => { this.waiting--; });
    this.tail = next.catch(() => undefined);
    return next;
  }
}

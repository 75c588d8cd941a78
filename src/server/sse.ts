// Server-sent events: `hello` on connect, `change` after every successful
// mutation, `progress` during long ones. A comment line every few seconds
// keeps proxies and idle timers from closing a quiet stream.
import type { ServerResponse } from "node:http";
import { toJson } from "../api/index.js";

const HEARTBEAT_MS = 15_000;

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => { for (const c of this.clients) c.write(": ping\n\n"); }, HEARTBEAT_MS);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  add(res: ServerResponse, hello: object): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "Connection": "keep-alive",
      "X-Accel-Buffering": "no",
    });
    res.write("retry: 2000\n\n");
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
    this.send(res, "hello", hello);
  }

  broadcast(event: string, data: object): void {
    for (const c of this.clients) this.send(c, event, data);
  }

  private send(res: ServerResponse, event: string, data: object): void {
    res.write(`event: ${event}\ndata: ${toJson(data, 0)}\n\n`);
  }

  /** Ends every stream (shutdown): clients see the stream close, not a reset. */
  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

// `vnvdimm up` as a user starts it: a child process on a temp state dir and a
// free port, stopped with SIGINT (Ctrl-C). Its URL carries the token.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BIN = join(ROOT, "bin", "vnvdimm");

export interface Daemon {
  /** http://127.0.0.1:PORT/ */
  url: string;
  /** The dashboard URL with `#token=…`, as `vnvdimm up` prints it. */
  openUrl: string;
  token: string;
  output(): string;
  /** Sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
}

const URL_WITH_TOKEN = /(https?:\/\/[^\s"#]+)#token=([A-Za-z0-9_-]+)/;

export function startDaemon(args: string[], timeoutMs = 60_000): Promise<Daemon> {
  const child: ChildProcess = spawn(process.execPath, [BIN, "up", "--port", "0", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => { out += b.toString(); });
  child.stderr!.on("data", (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`vnvdimm up printed no URL in ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const look = () => {
      const m = URL_WITH_TOKEN.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", look);
      resolve({
        url: m[1]!, openUrl: m[0], token: m[2]!, output: () => out,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
          return exited;
        },
      });
    };
    child.stdout!.on("data", look);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`vnvdimm up exited (${code}) before serving:\n${out}`)); });
  });
}

/** Runs a CLI command on the same state; while the daemon is up it goes through it. */
export function vnvdimm(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    child.stderr.on("data", (b: Buffer) => { out += b.toString(); });
    child.on("exit", (code) => resolve({ code, out }));
  });
}

// One record of the ledger's journal as bytes: `<length> <crc32> <payload>\n`,
// where length is the payload's byte count in decimal, crc32 is the
// payload's CRC-32 (ISO-HDLC, zlib's) in 8 hex digits, and the payload is
// one line of JSON. The length makes a record self-delimiting and the CRC
// tells a whole record from a torn one, so a reader drops a torn tail and
// never applies half a record. See docs/ledger-journal.md.
import { crc32 } from "node:zlib";

/** No record comes near this; a larger length field is damage, not a record. */
const MAX_PAYLOAD_BYTES = 64 << 20;
const NEWLINE = 0x0a;

export function encodeFrame(payload: string): Buffer {
  const body = Buffer.from(payload, "utf8");
  // JSON.stringify escapes newlines, so a payload is one line; anything else is a bug here.
  if (body.includes(NEWLINE)) throw new Error("assertion: a journal payload is one line");
  const head = Buffer.from(`${body.length} ${crc32(body).toString(16).padStart(8, "0")} `, "latin1");
  return Buffer.concat([head, body, Buffer.from([NEWLINE])]);
}

export type FrameProblem = "short" | "length" | "crc" | "newline";

type One = { ok: true; payload: string; end: number } | { ok: false; problem: FrameProblem };

const HEAD = /^(\d{1,9}) ([0-9a-f]{8}) /;

function decodeOne(buf: Buffer, at: number): One {
  // The head is at most 9 + 1 + 8 + 1 bytes.
  const headText = buf.subarray(at, Math.min(buf.length, at + 19)).toString("latin1");
  const m = HEAD.exec(headText);
  if (!m) return { ok: false, problem: buf.length - at < 19 && /^\d{0,9}( [0-9a-f]{0,8})?$/.test(headText) ? "short" : "length" };
  const len = Number(m[1]);
  if (len > MAX_PAYLOAD_BYTES) return { ok: false, problem: "length" };
  const start = at + m[0].length;
  const end = start + len + 1;
  if (end > buf.length) return { ok: false, problem: "short" };
  const body = buf.subarray(start, start + len);
  if (crc32(body) !== parseInt(m[2]!, 16)) return { ok: false, problem: "crc" };
  if (buf[end - 1] !== NEWLINE) return { ok: false, problem: "newline" };
  return { ok: true, payload: body.toString("utf8"), end };
}

export interface DecodedFrames {
  frames: { payload: string; start: number; end: number }[];
  /** Where the last whole record ends; the bytes after it, if any, are the tail. */
  validEnd: number;
  /** What is wrong with the first record after validEnd, when the bytes do not end there. */
  tail?: FrameProblem;
  /**
   * A whole record found after the bad one: the damage is not a torn tail
   * (an append that did not finish) but inside acknowledged records.
   */
  wholeAfterTail?: number;
}

/** Decodes records from `from` to the end of `buf`, stopping at the first that is not whole. */
export function decodeFrames(buf: Buffer, from = 0): DecodedFrames {
  const frames: DecodedFrames["frames"] = [];
  let at = from;
  while (at < buf.length) {
    const r = decodeOne(buf, at);
    if (!r.ok) {
      // A record starts only after a newline: look for a whole one past the damage.
      for (let nl = buf.indexOf(NEWLINE, at); nl !== -1 && nl + 1 < buf.length; nl = buf.indexOf(NEWLINE, nl + 1)) {
        if (decodeOne(buf, nl + 1).ok) return { frames, validEnd: at, tail: r.problem, wholeAfterTail: nl + 1 };
      }
      return { frames, validEnd: at, tail: r.problem };
    }
    frames.push({ payload: r.payload, start: at, end: r.end });
    at = r.end;
  }
  return { frames, validEnd: at };
}

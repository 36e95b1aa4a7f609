/**
 * The bytes of the file protocol (docs/protocol.md): message types, how each message is
 * written, how each payload is read, and a push parser that turns received chunks into
 * messages. No I/O here; send.ts and receive.ts drive it.
 *
 * The parser is fed from Line.receive(): a chunk is valid only until the feed returns (or its
 * promise settles), so anything kept across chunks is copied, and raw content is handed on
 * as views that the consumer must use before it returns.
 */

export const MAGIC = Buffer.from("HLFT", "latin1");
export const VERSION = 1;
export const HELLO = Buffer.concat([MAGIC, Buffer.from([VERSION])]);
export const MAX_PAYLOAD = 65536;
export const MAX_FILES = 1_000_000;
/** Bytes of names in one list: the receiver holds the list in memory. */
export const MAX_LIST_NAMES = 64 * 1024 * 1024;
export const DIGEST_BYTES = 32;
export const NO_DIGEST = Buffer.alloc(DIGEST_BYTES);

export const T = {
  FILE: 0x46,
  LIST_END: 0x4c,
  DATA: 0x44,
  SKIP: 0x53,
  DONE: 0x5a,
  ERROR: 0x45,
  OFFER: 0x4f,
  VERDICT: 0x56,
} as const;

export const Offer = { NEW: 0, PARTIAL: 1, PRESENT: 2, REFUSED: 3 } as const;
export type OfferKind = (typeof Offer)[keyof typeof Offer];
export const MAY_OVERWRITE = 1;

export const Verdict = { SAVED: 0, ALREADY: 1, MISMATCH: 2, FAILED: 3, SKIPPED: 4 } as const;
export type VerdictResult = (typeof Verdict)[keyof typeof Verdict];

/** The peer broke the protocol: the transfer cannot go on. */
export class ProtocolError extends Error {}

export interface FileEntry {
  index: number;
  size: number;
  mode: number;
  mtime: number;
  name: Buffer;
}

export interface OfferMessage {
  index: number;
  kind: OfferKind;
  flags: number;
  offset: number;
  digest: Buffer;
  reason: string;
}

export interface VerdictMessage {
  index: number;
  result: VerdictResult;
  detail: string;
}

export function frame(type: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes is over ${MAX_PAYLOAD}`);
  const out = Buffer.allocUnsafe(5 + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/** Text that fits one frame after `fixed` bytes: cut at a character boundary, never mid-character. */
function text(message: string, fixed: number): Buffer {
  const bytes = Buffer.from(message, "utf8");
  if (bytes.length + fixed <= MAX_PAYLOAD) return bytes;
  let end = MAX_PAYLOAD - fixed;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function u64(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n);
  return b;
}

export const encode = {
  file: (e: FileEntry): Buffer =>
    frame(T.FILE, Buffer.concat([u32(e.index), u64(e.size), u32(e.mode), u64(e.mtime), e.name])),
  listEnd: (count: number, total: number): Buffer => frame(T.LIST_END, Buffer.concat([u32(count), u64(total)])),
  data: (index: number, offset: number): Buffer => frame(T.DATA, Buffer.concat([u32(index), u64(offset)])),
  skip: (index: number, reason: string): Buffer => frame(T.SKIP, Buffer.concat([u32(index), text(reason, 4)])),
  done: (): Buffer => frame(T.DONE),
  error: (message: string): Buffer => frame(T.ERROR, text(message, 0)),
  offer: (o: OfferMessage): Buffer =>
    frame(
      T.OFFER,
      Buffer.concat([u32(o.index), Buffer.from([o.kind, o.flags]), u64(o.offset), o.digest, text(o.reason, 46)]),
    ),
  verdict: (v: VerdictMessage): Buffer =>
    frame(T.VERDICT, Buffer.concat([u32(v.index), Buffer.from([v.result]), text(v.detail, 5)])),
  doneReply: (saved: number, bytes: number): Buffer => frame(T.DONE, Buffer.concat([u32(saved), u64(bytes)])),
};

function need(payload: Buffer, bytes: number, what: string): void {
  if (payload.length < bytes) throw new ProtocolError(`${what} message too short (${payload.length} bytes)`);
}

/** A u64 that must fit a JavaScript number exactly (2^53 bytes is 8 PiB: no real file). */
function readSize(payload: Buffer, at: number, what: string): number {
  const n = payload.readBigUInt64BE(at);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError(`${what} ${n} is too large`);
  return Number(n);
}

export const decode = {
  file(p: Buffer): FileEntry {
    need(p, 24, "FILE");
    return {
      index: p.readUInt32BE(0),
      size: readSize(p, 4, "size"),
      mode: p.readUInt32BE(12),
      mtime: readSize(p, 16, "mtime"),
      name: Buffer.from(p.subarray(24)),
    };
  },
  listEnd(p: Buffer): { count: number; total: number } {
    need(p, 12, "LIST END");
    return { count: p.readUInt32BE(0), total: readSize(p, 4, "total") };
  },
  data(p: Buffer): { index: number; offset: number } {
    need(p, 12, "DATA");
    return { index: p.readUInt32BE(0), offset: readSize(p, 4, "offset") };
  },
  skip(p: Buffer): { index: number; reason: string } {
    need(p, 4, "SKIP");
    return { index: p.readUInt32BE(0), reason: p.subarray(4).toString("utf8") };
  },
  offer(p: Buffer): OfferMessage {
    need(p, 46, "OFFER");
    const kind = p[4] as number;
    if (kind > Offer.REFUSED) throw new ProtocolError(`unknown offer kind ${kind}`);
    return {
      index: p.readUInt32BE(0),
      kind: kind as OfferKind,
      flags: p[5] as number,
      offset: readSize(p, 6, "offset"),
      digest: Buffer.from(p.subarray(14, 46)),
      reason: p.subarray(46).toString("utf8"),
    };
  },
  verdict(p: Buffer): VerdictMessage {
    need(p, 5, "VERDICT");
    const result = p[4] as number;
    if (result > Verdict.SKIPPED) throw new ProtocolError(`unknown verdict ${result}`);
    return { index: p.readUInt32BE(0), result: result as VerdictResult, detail: p.subarray(5).toString("utf8") };
  },
  doneReply(p: Buffer): { saved: number; bytes: number } {
    need(p, 12, "DONE");
    return { saved: p.readUInt32BE(0), bytes: readSize(p, 4, "bytes") };
  },
};

/**
 * Where raw bytes go (the content after DATA): called with views into received chunks,
 * valid until it returns or its promise settles.
 */
export type RawSink = (bytes: Buffer) => Promise<void> | undefined;

export interface ParserEvents {
  /** The peer's opening: its version (the magic was checked). */
  hello(version: number): void;
  /** One message; may return a promise, and nothing more is parsed until it settles. */
  message(type: number, payload: Buffer): Promise<void> | undefined;
}

/**
 * Received chunks in, messages out. After a message handler calls raw(n, sink), the next n
 * bytes go to sink instead of being parsed.
 */
export class Parser {
  readonly #events: ParserEvents;
  #helloSeen = false;
  /** Bytes of an unfinished opening, header or payload, copied out of their chunks. */
  #held: Buffer = Buffer.alloc(0);
  #raw: { left: number; sink: RawSink } | null = null;

  constructor(events: ParserEvents) {
    this.#events = events;
  }

  /** The next `count` bytes are raw content for `sink`. */
  raw(count: number, sink: RawSink): void {
    if (count > 0) this.#raw = { left: count, sink };
  }

  /** Whether the parser is between messages (a line that ends now ends cleanly). */
  get idle(): boolean {
    return this.#held.length === 0 && this.#raw === null;
  }

  /** Raw bytes still due (content and digest of the DATA being read). */
  get rawLeft(): number {
    return this.#raw?.left ?? 0;
  }

  /** Feeds one received chunk: the sink for Line.receive(). */
  feed = (chunk: Buffer): Promise<void> | undefined => {
    let at = 0;
    while (at < chunk.length) {
      const raw = this.#raw;
      if (raw !== null) {
        const take = Math.min(raw.left, chunk.length - at);
        raw.left -= take;
        if (raw.left === 0) this.#raw = null;
        const pending = raw.sink(chunk.subarray(at, at + take));
        at += take;
        if (pending) return pending.then(() => this.feed(chunk.subarray(at)));
        continue;
      }
      let unit: Buffer;
      const avail = chunk.length - at;
      const whole = this.#held.length === 0 ? this.#unitLength(chunk, at, avail) : null;
      if (whole !== null && avail >= whole) {
        // The common case: the whole unit is in this chunk, and is used before the feed returns.
        unit = chunk.subarray(at, at + whole);
        at += whole;
      } else {
        // A unit split across chunks: its start is copied, as the chunk will not last.
        const held = this.#held;
        const wanted = this.#unitLength(held, 0, held.length) ?? (this.#helloSeen ? 5 : HELLO.length);
        const take = Math.min(wanted - held.length, avail);
        this.#held = Buffer.concat([held, chunk.subarray(at, at + take)]);
        at += take;
        if (this.#held.length < wanted || this.#unitLength(this.#held, 0, this.#held.length) !== wanted) continue;
        unit = this.#held;
        this.#held = Buffer.alloc(0);
      }
      const pending = this.#complete(unit);
      if (pending) return pending.then(() => this.feed(chunk.subarray(at)));
    }
    return undefined;
  };

  /** The length of the unit starting at `at` (the opening, or header and payload), or null while its header is incomplete. */
  #unitLength(bytes: Buffer, at: number, avail: number): number | null {
    if (!this.#helloSeen) return HELLO.length;
    if (avail < 5) return null;
    const length = bytes.readUInt32BE(at + 1);
    if (length > MAX_PAYLOAD) throw new ProtocolError(`a message of ${length} bytes (at most ${MAX_PAYLOAD})`);
    return 5 + length;
  }

  /** A whole unit: the opening, or one message. */
  #complete(unit: Buffer): Promise<void> | undefined {
    if (!this.#helloSeen) {
      if (!unit.subarray(0, 4).equals(MAGIC)) {
        throw new ProtocolError(
          `not a hotline file transfer (it began with ${JSON.stringify(unit.toString("latin1"))})`,
        );
      }
      this.#helloSeen = true;
      this.#events.hello(unit[4] as number);
      return undefined;
    }
    return this.#events.message(unit[0] as number, unit.subarray(5));
  }
}

/**
 * The sending side of one transfer (docs/protocol.md): announces every file, then, file by
 * file in the order of the receiver's offers, sends the content (all of it, the rest after a
 * partial whose hash matches ours, or nothing when the receiver has the same file) and its
 * SHA-256. A file counts as sent only when the receiver's verdict says it is in place.
 */
import type { Hash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { sizeText } from "../../call/progress.js";
import type { Line } from "../../reach/line.js";
import { type Reporter, reason } from "../../report.js";
import { hashFile } from "./file-hash.js";
import type { SendItem } from "./files.js";
import { contentHash, inlineHash } from "./hasher.js";
import { printableName } from "./names.js";
import { FileShrank, streamFile } from "./stream-file.js";
import type { TransferMeter } from "./transfer-meter.js";
import {
  decode,
  encode,
  HELLO,
  MAY_OVERWRITE,
  Offer,
  type OfferMessage,
  Parser,
  ProtocolError,
  T,
  VERSION,
  Verdict,
  type VerdictMessage,
} from "./wire.js";

export interface SendSettings {
  report: Reporter;
  /** The ordinary steps (silent with --quiet); failures go to report.say. */
  tell: (message: string) => void;
  meter: TransferMeter | null;
  interrupt: AbortSignal;
}

export interface SendResult {
  ok: boolean;
  /** Files the receiver confirmed (saved, or already there and the same). */
  confirmed: number;
}

export async function sendTo(line: Line, items: SendItem[], s: SendSettings): Promise<SendResult> {
  return new Sender(line, items, s).run();
}

/** Files up to this size are read whole and sent as one message with their header and digest. */
const SMALL_FILE = 64 * 1024;
/** Small messages are gathered up to this many bytes per write. */
const BATCH = 256 * 1024;

/**
 * A receiver answers the opening at once; when nothing came after this long, the sender says
 * what may be on the other side, and goes on waiting (a busy `-k` receiver answers later).
 */
const NO_ANSWER_HINT_MS = 5000;
const NO_ANSWER_HINT =
  "no answer from a hotline receiver yet: a receiver with -k answers once the sender before is done; a plain netcat never will (send to it with --raw)";

class Sender {
  readonly #line: Line;
  readonly #items: SendItem[];
  readonly #s: SendSettings;
  readonly #offers: (OfferMessage | undefined)[] = [];
  readonly #verdicts: (VerdictMessage | undefined)[] = [];
  #receiverDone = false;
  /** Why the line can carry nothing more (it ended, the receiver gave up), once it is so. */
  #ended: string | null = null;
  #wake: (() => void) | null = null;
  #bytes = 0;
  /** Small messages waiting to go out together (#send). */
  #batch: Buffer[] = [];
  #batched = 0;
  #lastDigest: Buffer | null = null;
  readonly #startedAt = performance.now();

  constructor(line: Line, items: SendItem[], s: SendSettings) {
    this.#line = line;
    this.#items = items;
    this.#s = s;
  }

  async run(): Promise<SendResult> {
    const { report } = this.#s;
    const silence = setTimeout(() => this.#s.tell(NO_ANSWER_HINT), NO_ANSWER_HINT_MS);
    silence.unref();
    const parser = new Parser({
      hello: (version) => {
        clearTimeout(silence);
        if (version !== VERSION) {
          throw new ProtocolError(
            `the receiver speaks version ${version} of the file protocol; this hotline speaks ${VERSION}`,
          );
        }
      },
      message: (type, payload) => this.#message(type, payload),
    });
    const receiving = this.#line.receive(parser.feed).then(
      () => this.#end(this.#receiverDone ? "" : "the receiver ended the line"),
      (err: unknown) => this.#end(err instanceof ProtocolError ? err.message : reason(err)),
    );
    const onInterrupt = (): void => {
      this.#end("interrupted");
      this.#line.reset();
    };
    this.#s.interrupt.addEventListener("abort", onInterrupt, { once: true });
    let why: string | null = null;
    try {
      await this.#announce();
      for (const [index, item] of this.#items.entries()) await this.#sendOne(item, index);
      // No half-close here: some proxies end both directions at the first FIN, and the
      // verdicts and the receiver's DONE are still to come. The receiver half-closes after them.
      await this.#send(encode.done());
      await receiving;
    } catch (err) {
      why = err instanceof Ended ? err.message : (this.#ended ?? reason(err));
    } finally {
      clearTimeout(silence);
      this.#s.interrupt.removeEventListener("abort", onInterrupt);
      this.#s.meter?.stop();
    }
    if (why === null && !this.#receiverDone) why = this.#ended || "the receiver ended the line";
    if (why !== null) {
      this.#line.reset();
      await receiving;
    } else {
      await this.#line.close();
    }
    const confirmed = this.#verdicts.filter((v) => v?.result === Verdict.SAVED || v?.result === Verdict.ALREADY).length;
    const files = this.#items.length;
    if (why !== null) {
      const missing = files - confirmed;
      report.say(
        `transfer not complete: ${why}; ${confirmed} of ${files} ${files === 1 ? "file" : "files"} confirmed${missing > 0 ? ` (${this.#unconfirmed()})` : ""}`,
      );
    } else {
      this.#summary(confirmed);
    }
    return { ok: why === null && confirmed === files, confirmed };
  }

  /** The opening and the whole list, in writes of about 64 KiB. */
  async #announce(): Promise<void> {
    let batch: Buffer[] = [HELLO];
    let bytes = HELLO.length;
    let total = 0;
    for (const [index, item] of this.#items.entries()) {
      const frame = encode.file({ index, size: item.size, mode: item.mode, mtime: item.mtime, name: item.name });
      batch.push(frame);
      bytes += frame.length;
      total += item.size;
      if (bytes >= 65536) {
        await this.#send(Buffer.concat(batch));
        batch = [];
        bytes = 0;
      }
    }
    batch.push(encode.listEnd(this.#items.length, total));
    await this.#send(Buffer.concat(batch));
  }

  async #sendOne(item: SendItem, index: number): Promise<void> {
    const { report } = this.#s;
    const offer = await this.#offerFor(index);
    switch (offer.kind) {
      case Offer.REFUSED:
        report.say(`${item.shown}: refused by the receiver: ${printable(offer.reason)}`);
        await this.#send(encode.skip(index, "refused"), { batch: true });
        return;
      case Offer.PRESENT: {
        const hash = await this.#hashOrSkip(item, index, item.size);
        if (hash === null) return;
        const digest = hash.digest();
        if (item.size === offer.offset && digest.equals(offer.digest)) {
          this.#lastDigest = digest;
          await this.#send(Buffer.concat([encode.data(index, item.size), digest]), { batch: true });
          return;
        }
        if ((offer.flags & MAY_OVERWRITE) === 0) {
          report.say(
            `${item.shown}: not sent: a different file of that name is on the receiver (it may use --overwrite)`,
          );
          await this.#send(encode.skip(index, "differs from the receiver's file"));
          return;
        }
        return this.#content(item, index, 0, null);
      }
      case Offer.PARTIAL: {
        if (offer.offset <= item.size) {
          const hash = await this.#hashOrSkip(item, index, offer.offset);
          if (hash === null) return; // unreadable: skipped
          if (hash.copy().digest().equals(offer.digest)) return this.#content(item, index, offer.offset, hash);
        }
        this.#s.tell(`${item.shown}: the part on the receiver differs from this file; sending it from the start`);
        return this.#content(item, index, 0, null);
      }
      default:
        return this.#content(item, index, 0, null);
    }
  }

  /** The hash of a file's first bytes, or null (and a SKIP) when it cannot be read. */
  async #hashOrSkip(item: SendItem, index: number, length: number): Promise<Hash | null> {
    try {
      return await hashFile(item.path, length);
    } catch (err) {
      this.#s.report.say(`${item.shown}: not sent: ${reason(err)}`);
      await this.#send(encode.skip(index, "cannot be read"));
      return null;
    }
  }

  /** DATA, the content from `offset`, the digest of the whole file. */
  async #content(item: SendItem, index: number, offset: number, prefix: Hash | null): Promise<void> {
    let fd: number;
    try {
      fd = openSync(item.path, "r");
    } catch (err) {
      this.#s.report.say(`${item.shown}: not sent: ${reason(err)}`);
      await this.#send(encode.skip(index, "cannot be read"));
      return;
    }
    const length = item.size - offset;
    // Hashed as the blocks go out (hasher.ts: off the main thread where there are cores for
    // it); a resume continues the hash of the part the receiver has.
    const hash = prefix ? inlineHash(prefix) : contentHash(length);
    const meter = this.#s.meter;
    meter?.file(item.shown, item.size, offset);
    const seen = (block: Uint8Array): Promise<void> | undefined => {
      meter?.add(block.length);
      this.#bytes += block.length;
      return hash.update(block);
    };
    try {
      if (length <= SMALL_FILE) {
        // A small file is one message with its header and digest, batched with its neighbours.
        const content = Buffer.allocUnsafe(length);
        for (let done = 0; done < length; ) {
          const n = readSync(fd, content, done, length - done, offset + done);
          if (n === 0) throw new Ended(`${item.shown}: the file became shorter while it was sent`);
          done += n;
        }
        seen(content);
        const digest = await hash.digest();
        this.#lastDigest = digest;
        await this.#send(Buffer.concat([encode.data(index, offset), content, digest]), { batch: true });
        return;
      }
      await this.#send(encode.data(index, offset));
      await streamFile(this.#line, fd, offset, item.size, seen, () => this.#ended).catch((err: Error) => {
        // The first cause (an interrupt, the receiver's end) says more than the failed send it caused.
        throw new Ended(this.#ended ?? (err instanceof FileShrank ? `${item.shown}: ${err.message}` : reason(err)));
      });
      const digest = await hash.digest();
      this.#lastDigest = digest;
      await this.#send(digest);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Sends `bytes` after whatever is batched. With `batch`, small messages gather into one
   * write of up to BATCH bytes: a folder of many small files is not one round of system
   * calls (and one wait for the kernel) per file.
   */
  async #send(bytes: Buffer, { batch = false }: { batch?: boolean } = {}): Promise<void> {
    if (this.#ended !== null) throw new Ended(this.#ended);
    this.#batch.push(bytes);
    this.#batched += bytes.length;
    if (batch && this.#batched < BATCH) return;
    const out = this.#batch.length === 1 ? (this.#batch[0] as Buffer) : Buffer.concat(this.#batch);
    this.#batch = [];
    this.#batched = 0;
    await this.#line.send(out);
  }

  /** The receiver's offer for file `index`, once it came. */
  async #offerFor(index: number): Promise<OfferMessage> {
    for (;;) {
      const offer = this.#offers[index];
      if (offer) return offer;
      if (this.#ended !== null) throw new Ended(this.#ended);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #end(why: string): void {
    this.#ended ??= why || "the receiver ended the line";
    this.#wake?.();
  }

  #message(type: number, payload: Buffer): undefined {
    switch (type) {
      case T.OFFER: {
        const offer = decode.offer(payload);
        if (offer.index !== this.#offers.length || offer.index >= this.#items.length) {
          throw new ProtocolError(`an offer for file ${offer.index} where ${this.#offers.length} was due`);
        }
        this.#offers.push(offer);
        if (this.#offers.length === this.#items.length) this.#s.meter?.begin(this.#toSend(), this.#items.length);
        this.#wake?.();
        return undefined;
      }
      case T.VERDICT: {
        const verdict = decode.verdict(payload);
        const item = this.#items[verdict.index];
        if (item === undefined || this.#verdicts[verdict.index] !== undefined) {
          throw new ProtocolError(`a verdict for file ${verdict.index}`);
        }
        this.#verdicts[verdict.index] = verdict;
        this.#reportVerdict(item, verdict);
        return undefined;
      }
      case T.DONE:
        decode.doneReply(payload);
        this.#receiverDone = true;
        return undefined;
      case T.ERROR:
        throw new ProtocolError(`the receiver gave up: ${printable(payload.toString("utf8"))}`);
      default:
        throw new ProtocolError(`unexpected message ${type}`);
    }
  }

  /** Content bytes the offers ask for (a partial whose hash differs will need more: the meter then ends past 100%... never: it caps). */
  #toSend(): number {
    let total = 0;
    for (const [i, offer] of this.#offers.entries()) {
      const size = this.#items[i]?.size ?? 0;
      if (offer?.kind === Offer.NEW) total += size;
      else if (offer?.kind === Offer.PARTIAL) total += Math.max(0, size - offer.offset);
    }
    return total;
  }

  #reportVerdict(item: SendItem, v: VerdictMessage): void {
    const { report } = this.#s;
    switch (v.result) {
      case Verdict.SAVED:
        this.#s.tell(`sent ${item.shown} (${sizeText(item.size)}): the receiver checked and saved it`);
        return;
      case Verdict.ALREADY:
        this.#s.tell(`${item.shown}: already on the receiver, the same`);
        return;
      case Verdict.MISMATCH:
        report.say(`${item.shown}: the receiver's SHA-256 check failed; not saved`);
        return;
      case Verdict.FAILED:
        report.say(`${item.shown}: the receiver could not save it: ${printable(v.detail)}`);
        return;
      default:
        return;
    }
  }

  /** The files not confirmed, named (the first few). */
  #unconfirmed(): string {
    const names = this.#items
      .filter((_, i) => !(this.#verdicts[i]?.result === Verdict.SAVED || this.#verdicts[i]?.result === Verdict.ALREADY))
      .map((item) => item.shown);
    return names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
  }

  #summary(confirmed: number): void {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const files = this.#items.length;
    const rate = seconds > 0 ? this.#bytes / seconds : 0;
    const one = files === 1 && this.#lastDigest ? `, sha256 ${this.#lastDigest.toString("hex")}` : "";
    this.#s.tell(
      `sent ${confirmed} of ${files} ${files === 1 ? "file" : "files"}: ${sizeText(this.#bytes)} in ${seconds.toFixed(1)} s (${sizeText(rate)}/s)${one}`,
    );
  }
}

/** The line can carry nothing more; the message says why. */
class Ended extends Error {}

function printable(text: string): string {
  return printableName(Buffer.from(text, "utf8"));
}

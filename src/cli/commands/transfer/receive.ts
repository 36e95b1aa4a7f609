/**
 * The receiving side of one transfer (docs/protocol.md): reads the sender's list, answers
 * every file at once (new, partly here, already here, refused), then takes the content file
 * by file into `NAME.hotline-partial`, checks its SHA-256 and only then gives it its name.
 *
 * Nothing is trusted: names are checked (names.ts), folders are made part by part and never
 * through a symbolic link, and a line that ends early leaves the partial file for a resume
 * and is reported as what it is, never as success.
 */
import type { Hash } from "node:crypto";
import {
  closeSync,
  fchmodSync,
  constants as fsc,
  fstatSync,
  ftruncateSync,
  futimesSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  type Stats,
  unlinkSync,
} from "node:fs";
import { statfs } from "node:fs/promises";
import { join, sep } from "node:path";
import { sizeText } from "../../call/progress.js";
import { later } from "../../call/timer.js";
import type { Line } from "../../reach/line.js";
import { type Reporter, reason } from "../../report.js";
import { hashFile } from "./file-hash.js";
import { FileWriter } from "./file-writer.js";
import { contentHash, inlineHash } from "./hasher.js";
import { nameProblem, partialName, printableName } from "./names.js";
import type { TransferMeter } from "./transfer-meter.js";
import {
  DIGEST_BYTES,
  decode,
  encode,
  type FileEntry,
  HELLO,
  MAX_FILES,
  MAX_LIST_NAMES,
  MAY_OVERWRITE,
  NO_DIGEST,
  Offer,
  type OfferKind,
  Parser,
  ProtocolError,
  T,
  VERSION,
  Verdict,
  type VerdictResult,
} from "./wire.js";

/** From the connection to the end of the list: a caller that says nothing does not hold the receiver. */
export const LIST_MS = 30_000;

/** How long a receiver that gave up reads on, so the sender can read why before the line is reset. */
const GIVE_UP_MS = 2000;

export interface ReceiveSettings {
  /** The folder files go into, resolved (realpath). */
  dir: string;
  overwrite: boolean;
  report: Reporter;
  /** The ordinary steps (silent with --quiet); failures go to report.say. */
  tell: (message: string) => void;
  meter: TransferMeter | null;
  interrupt: AbortSignal;
}

/** A file of the list and what this side offered for it. */
interface Entry extends FileEntry {
  shown: string;
  parts: string[];
  kind: OfferKind;
  offset: number;
  digest: Buffer;
  /** The hash of the bytes already here (a partial or present file), to continue from. */
  prefix: Hash | null;
  /** The partial file offered to resume from, as it was then: resumed only if still the same. */
  kept: Kept | null;
  reason: string;
  /** The partial file's name inside DIR (names.ts's partialName for the last part). */
  partial: string;
}

/** How one transfer ended, for the caller's exit code. */
export interface ReceiveResult {
  ok: boolean;
  files: number;
  saved: number;
  bytes: number;
}

export async function receiveFrom(line: Line, s: ReceiveSettings): Promise<ReceiveResult> {
  return new Receiver(line, s).run();
}

class Receiver {
  readonly #line: Line;
  readonly #s: ReceiveSettings;
  readonly #entries: Entry[] = [];
  #listed = false;
  #done = false;
  #next = 0;
  #saved = 0;
  /** Files that were here already, the same: confirmed to the sender, not counted as received. */
  #already = 0;
  /** DIR with every link in it resolved, for #openPartial's check. */
  #realDir: string | null = null;
  #bytes = 0;
  #failed = 0;
  /** Bytes of names in the list so far (bounded: the list is held in memory). */
  #listBytes = 0;
  /** The file being written, while its content arrives. */
  #current: Current | null = null;
  #sending: Promise<void> = Promise.resolve();
  #sendError: unknown = null;
  readonly #startedAt = performance.now();

  constructor(line: Line, s: ReceiveSettings) {
    this.#line = line;
    this.#s = s;
  }

  async run(): Promise<ReceiveResult> {
    const { report } = this.#s;
    const peer = this.#line.peer;
    let why: string | null = null;
    const stopListClock = later(LIST_MS, () => {
      if (this.#listed) return;
      why = `no file list within ${LIST_MS / 1000} s`;
      this.#line.reset();
    });
    const onInterrupt = (): void => {
      why = "interrupted";
      this.#line.reset();
    };
    this.#s.interrupt.addEventListener("abort", onInterrupt, { once: true });
    const parser = new Parser({
      hello: (version) => {
        if (version !== VERSION) {
          this.#out(Buffer.concat([HELLO, encode.error(`this receiver speaks version ${VERSION} only`)]));
          throw new ProtocolError(
            `the sender speaks version ${version} of the file protocol; this hotline speaks ${VERSION}`,
          );
        }
        this.#out(HELLO);
      },
      message: (type, payload) => this.#message(parser, type, payload),
    });
    // A failure of this side's (a protocol error, a full disk) is told to the sender with ERROR;
    // then what it still sends is read and dropped until it closes, for at most GIVE_UP_MS:
    // closing at once would reset the line, and the sender might never read why.
    let stopDraining: (() => void) | null = null;
    const fail = (err: unknown): void => {
      if (why !== null) return;
      if (err instanceof Stop) why = err.message;
      else if (err instanceof ProtocolError) {
        why = `protocol error: ${err.message}`;
        this.#out(encode.error(err.message));
      } else why = reason(err);
      void this.#sending.then(() => this.#line.shutdown());
      stopDraining = later(GIVE_UP_MS, () => this.#line.reset());
    };
    const sink = (chunk: Buffer): Promise<void> | undefined => {
      if (why !== null) return undefined;
      try {
        return parser.feed(chunk)?.catch(fail);
      } catch (err) {
        fail(err);
        return undefined;
      }
    };
    try {
      await this.#line.receive(sink);
      if (!this.#done) why ??= "the line ended";
    } catch (err) {
      why ??= reason(err);
    } finally {
      stopListClock();
      (stopDraining as (() => void) | null)?.();
      this.#s.interrupt.removeEventListener("abort", onInterrupt);
    }
    // What is still queued for the sender is waited for only while it reads: a sender that
    // stopped reading never holds the receiver.
    if (why === null && !(await settlesWithin(this.#sending, GIVE_UP_MS))) why = "the sender stopped reading";
    if (why === null && this.#sendError !== null) why = reason(this.#sendError);
    if (why !== null) {
      await this.#abandon(why);
      this.#line.reset();
    } else {
      await this.#line.close();
    }
    const files = this.#entries.length;
    const ok = why === null && this.#failed === 0;
    if (why !== null) report.say(`${peer}: transfer not complete: ${why}`);
    else this.#summary();
    return { ok, files, saved: this.#saved, bytes: this.#bytes };
  }

  /** Queues bytes for the sender, in order; a failure is kept (never thrown) and ends the transfer. */
  #out(bytes: Buffer): void {
    this.#sending = this.#sending.then(async () => {
      if (this.#sendError !== null) return;
      try {
        await this.#line.send(bytes);
      } catch (err) {
        this.#sendError = err;
      }
    });
  }

  #message(parser: Parser, type: number, payload: Buffer): Promise<void> | undefined {
    if (!this.#listed) {
      if (type === T.FILE) {
        const entry = decode.file(payload);
        if (entry.index !== this.#entries.length) {
          throw new ProtocolError(`FILE ${entry.index} where ${this.#entries.length} was due`);
        }
        if (this.#entries.length >= MAX_FILES) throw new ProtocolError(`more than ${MAX_FILES} files`);
        this.#listBytes += entry.name.length;
        if (this.#listBytes > MAX_LIST_NAMES) {
          throw new ProtocolError(`more than ${MAX_LIST_NAMES / (1024 * 1024)} MiB of names in the list`);
        }
        this.#entries.push(blankEntry(entry));
        return undefined;
      }
      if (type === T.LIST_END) {
        const { count, total } = decode.listEnd(payload);
        const sum = this.#entries.reduce((n, e) => n + e.size, 0);
        if (count !== this.#entries.length || total !== sum) {
          throw new ProtocolError(
            `the list ends with ${count} files and ${total} bytes, but held ${this.#entries.length} and ${sum}`,
          );
        }
        this.#listed = true;
        return this.#answerList();
      }
      if (type === T.ERROR) throw new ProtocolError(`the sender gave up: ${payload.toString("utf8")}`);
      throw new ProtocolError(`message ${type} before the end of the list`);
    }
    switch (type) {
      case T.DATA: {
        const { index, offset } = decode.data(payload);
        const entry = this.#due(index);
        return this.#startContent(parser, entry, offset);
      }
      case T.SKIP: {
        const { index, reason: why } = decode.skip(payload);
        const entry = this.#due(index);
        // A refused file was reported when it was refused; any other skip is the sender's choice.
        if (entry.kind !== Offer.REFUSED) {
          this.#s.report.say(`${entry.shown}: not sent: ${printable(why)}`);
          this.#failed++;
        }
        this.#verdict(entry, Verdict.SKIPPED, why);
        return undefined;
      }
      case T.DONE:
        if (this.#next !== this.#entries.length) {
          throw new ProtocolError(`DONE after ${this.#next} of ${this.#entries.length} files`);
        }
        this.#done = true;
        this.#out(encode.doneReply(this.#saved, this.#bytes));
        // This side's end of stream tells the sender it has everything; it then closes.
        void this.#sending.then(() => this.#line.shutdown());
        return undefined;
      case T.ERROR:
        throw new ProtocolError(`the sender gave up: ${printable(payload.toString("utf8"))}`);
      default:
        throw new ProtocolError(`unexpected message ${type}`);
    }
  }

  /** The entry whose content or SKIP comes now: files come in the order of the list. */
  #due(index: number): Entry {
    const entry = this.#entries[index];
    if (index !== this.#next || entry === undefined)
      throw new ProtocolError(`file ${index} where ${this.#next} was due`);
    if (this.#done) throw new ProtocolError("content after DONE");
    this.#next++;
    return entry;
  }

  /** Decides every offer, checks the free space, and answers them all in one go. */
  async #answerList(): Promise<void> {
    const { report, dir } = this.#s;
    const entries = this.#entries;
    const total = entries.reduce((n, e) => n + e.size, 0);
    this.#s.tell(
      `${this.#line.peer} sends ${entries.length} ${entries.length === 1 ? "file" : "files"}, ${sizeText(total)}`,
    );
    const names = new Set<string>();
    const folders = new Set<string>();
    for (const entry of entries) await this.#plan(entry, names, folders);
    const needed = entries.reduce(
      (n, e) => n + (e.kind === Offer.NEW || e.kind === Offer.PARTIAL ? e.size - e.offset : 0),
      0,
    );
    const free = await freeSpace(dir);
    if (free !== null && needed > free) {
      const message = `not enough space in ${dir}: ${sizeText(needed)} to write, ${sizeText(free)} free`;
      this.#out(encode.error(message));
      throw new Stop(message);
    }
    const offers = entries.map((e) =>
      encode.offer({
        index: e.index,
        kind: e.kind,
        flags: this.#s.overwrite ? MAY_OVERWRITE : 0,
        offset: e.offset,
        digest: e.digest,
        reason: e.reason,
      }),
    );
    for (const e of entries) if (e.kind === Offer.REFUSED) report.say(`${e.shown}: refused: ${e.reason}`);
    this.#s.meter?.begin(
      entries.reduce((n, e) => n + (e.kind === Offer.NEW || e.kind === Offer.PARTIAL ? e.size - e.offset : 0), 0),
      entries.length,
    );
    // Batched into writes of about 64 KiB: a million offers are not a million sends.
    for (let at = 0; at < offers.length; ) {
      let bytes = 0;
      const start = at;
      while (at < offers.length && bytes < 65536) bytes += (offers[at++] as Buffer).length;
      this.#out(Buffer.concat(offers.slice(start, at)));
    }
  }

  /** What to offer for one file: refused, already here, partly here, or new. */
  async #plan(e: Entry, names: Set<string>, folders: Set<string>): Promise<void> {
    const refuse = (why: string): void => {
      e.kind = Offer.REFUSED;
      e.reason = why;
      this.#failed++;
    };
    const problem = nameProblem(e.name);
    if (problem !== null) return refuse(`the name ${problem}`);
    const name = e.name.toString("utf8");
    e.parts = name.split("/");
    if (names.has(name)) return refuse("the name comes twice in this transfer");
    if (folders.has(name)) return refuse("an earlier file of this transfer needs a folder of this name");
    for (let i = 1; i < e.parts.length; i++) {
      if (names.has(e.parts.slice(0, i).join("/")))
        return refuse(`${e.parts.slice(0, i).join("/")} is a file of this transfer, not a folder`);
    }
    // What the disk says can refuse this file only: an error while looking (no permission,
    // a name this file system cannot hold) is this file's refusal, never the transfer's end.
    const cannot = (err: unknown): void => refuse(`cannot be checked here: ${reason(err)}`);
    let blocked: string | null;
    try {
      blocked = this.#blockedPath(e.parts);
    } catch (err) {
      return cannot(err);
    }
    if (blocked !== null) return refuse(blocked);
    names.add(name);
    for (let i = 1; i < e.parts.length; i++) folders.add(e.parts.slice(0, i).join("/"));
    e.partial = [...e.parts.slice(0, -1), partialName(e.parts.at(-1) as string)].join("/");
    await this.#planOnDisk(e, refuse).catch(cannot);
  }

  /** #plan's part that looks at what is here already: a file, or a partial, of the same name. */
  async #planOnDisk(e: Entry, refuse: (why: string) => void): Promise<void> {
    const path = join(this.#s.dir, ...e.parts);
    const here = lstatOrNull(path);
    if (here !== null) {
      if (here.isSymbolicLink()) return refuse("a symbolic link of that name is here (never followed)");
      if (!here.isFile()) return refuse("something other than a file of that name is here");
      if (here.size === e.size) {
        e.kind = Offer.PRESENT;
        e.prefix = await hashFile(path, e.size);
        e.digest = e.prefix.copy().digest();
        e.offset = e.size;
        return;
      }
      if (!this.#s.overwrite) return refuse("a different file of that name is here (--overwrite replaces it)");
    }
    const partialPath = join(this.#s.dir, e.partial);
    const partial = lstatOrNull(partialPath);
    if (partial !== null) {
      if (partial.isSymbolicLink() || !partial.isFile())
        return refuse(`${printable(e.partial)} is here and is not a plain file`);
      if (partial.size > 0 && partial.size <= e.size) {
        e.kind = Offer.PARTIAL;
        e.offset = partial.size;
        const { dev, ino, size, mtimeMs } = partial;
        e.kept = { dev, ino, size, mtimeMs };
        e.prefix = await hashFile(partialPath, partial.size);
        e.digest = e.prefix.copy().digest();
        return;
      }
    }
    e.kind = Offer.NEW;
  }

  /**
   * Opens a partial file to write from the start, or after the part `kept` (a resume), never
   * through a link as its last part (O_NOFOLLOW), never a FIFO or device (O_NONBLOCK, so
   * opening one cannot block; then it must be a plain file), and never outside DIR: its
   * folders were checked when they were made (#makeFolders), but someone who can write in
   * DIR may have swapped one for a symbolic link since (#checkInside). A resume goes on only
   * if the partial file is still the one offered, as it was then (its prefix was hashed
   * then, maybe hours before its turn): otherwise the sender's bytes would land after a
   * prefix that is not theirs, and pass the check. Nothing is written or cut before all this
   * (so not O_TRUNC), and a file this made where it should not be is removed again.
   */
  #openPartial(path: string, kept: Kept | null): number {
    const flags = fsc.O_WRONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK;
    let fd: number;
    let made = true;
    try {
      try {
        fd = openSync(path, flags | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        made = false;
        fd = openSync(path, flags);
      }
    } catch (err) {
      // A FIFO without a reader (ENXIO), or a link put there since the list was answered.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENXIO" || code === "ELOOP") throw new Error("its partial file is here and is not a plain file");
      throw err;
    }
    try {
      this.#checkInside(fd, made);
      const st = fstatSync(fd);
      if (!st.isFile()) throw new Error("its partial file is here and is not a plain file");
      if (kept !== null) {
        const same =
          !made && st.dev === kept.dev && st.ino === kept.ino && st.size === kept.size && st.mtimeMs === kept.mtimeMs;
        if (!same) throw new Error("its partial file changed since it was offered (send it again)");
      }
      ftruncateSync(fd, kept?.size ?? 0);
    } catch (err) {
      if (made && this.#stillOurs(fd, path)) unlinkQuietly(path);
      closeQuietly(fd);
      throw err;
    }
    return fd;
  }

  /**
   * Where the kernel names an open file (/proc/self/fd on Linux), checks that `fd` is inside
   * DIR; a file this made outside is removed. Elsewhere the folder checks and O_NOFOLLOW are all.
   */
  #checkInside(fd: number, made: boolean): void {
    const real = kernelName(fd);
    if (real === null) return;
    // DIR as the kernel names it too, so both are spelled alike (case, on a file system that ignores it).
    this.#realDir ??= kernelNameOfFolder(this.#s.dir) ?? realpathSync(this.#s.dir);
    const inside = this.#realDir.endsWith(sep) ? this.#realDir : this.#realDir + sep;
    if (real.startsWith(inside)) return;
    if (made) unlinkQuietly(real);
    throw new Error(`a folder of its name became a link out of ${this.#s.dir} during the transfer`);
  }

  /**
   * Whether `path` still names the open file `fd`, inside DIR: checked just before the file is
   * renamed or removed by its path, so a folder swapped for a link meanwhile renames or
   * removes nothing outside DIR.
   */
  #stillOurs(fd: number, path: string): boolean {
    const there = lstatOrNull(path);
    const mine = fstatSync(fd);
    if (there === null || there.dev !== mine.dev || there.ino !== mine.ino) return false;
    try {
      this.#checkInside(fd, false);
      return true;
    } catch {
      return false;
    }
  }

  /** Why a name's folders cannot be used (a link, a file in the way), or null. Nothing is made yet. */
  #blockedPath(parts: string[]): string | null {
    let path = this.#s.dir;
    for (let i = 0; i < parts.length - 1; i++) {
      path = join(path, parts[i] as string);
      const st = lstatOrNull(path);
      if (st === null) return null;
      const problem = notAFolder(st, parts.slice(0, i + 1).join("/"));
      if (problem !== null) return problem;
    }
    return null;
  }

  /** DATA: opens the partial file and routes the content and digest that follow to it. */
  async #startContent(parser: Parser, e: Entry, offset: number): Promise<void> {
    const allowed =
      offset === 0
        ? e.kind === Offer.NEW || e.kind === Offer.PARTIAL || (e.kind === Offer.PRESENT && this.#s.overwrite)
        : (e.kind === Offer.PARTIAL || e.kind === Offer.PRESENT) && offset === e.offset;
    if (!allowed) throw new ProtocolError(`DATA for file ${e.index} from ${offset}, which was not offered`);
    const content = e.size - offset;
    const digest = Buffer.alloc(DIGEST_BYTES);
    let digestFill = 0;
    if (e.kind === Offer.PRESENT && offset === e.size) {
      parser.raw(DIGEST_BYTES, (bytes) => {
        bytes.copy(digest, digestFill);
        digestFill += bytes.length;
        if (digestFill < DIGEST_BYTES) return undefined;
        const same = digest.equals(e.digest);
        if (same) {
          this.#already++;
          this.#lastDigest = digest;
          this.#s.tell(`${e.shown}: already here, the same (sha256 ${digest.toString("hex")})`);
        } else {
          this.#s.report.say(`${e.shown}: the sender's file differs from the one here; not replaced`);
        }
        this.#verdict(e, same ? Verdict.ALREADY : Verdict.MISMATCH, same ? "" : "differs from the file here");
        return undefined;
      });
      return;
    }
    const partialPath = join(this.#s.dir, e.partial);
    let fd: number | null = null;
    let failure: string | null = null;
    try {
      this.#makeFolders(e.parts);
      fd = this.#openPartial(partialPath, offset > 0 ? e.kept : null);
    } catch (err) {
      failure = reason(err);
      if (fd !== null) closeQuietly(fd);
      fd = null;
    }
    const { meter } = this.#s;
    if (offset > 0 && fd !== null) this.#s.tell(`${e.shown}: resuming after the ${sizeText(offset)} already here`);
    if (offset === 0 && e.kind === Offer.PARTIAL) this.#s.tell(`${e.shown}: the part here differs; starting again`);
    // Hashed as the content arrives (hasher.ts: off the main thread where there are cores for
    // it); a resume continues the hash of the part that was here.
    const hash = offset > 0 && e.prefix ? inlineHash(e.prefix) : contentHash(content);
    const current: Current = {
      entry: e,
      fd,
      writer: fd !== null ? new FileWriter(fd, offset) : null,
      offset,
      left: content,
      path: partialPath,
    };
    this.#current = current;
    meter?.file(e.shown, e.size, offset);
    parser.raw(content + DIGEST_BYTES, (bytes) => {
      let at = 0;
      let waiting: Promise<void> | undefined;
      if (current.left > 0) {
        at = Math.min(current.left, bytes.length);
        const body = bytes.subarray(0, at);
        current.left -= at;
        if (current.writer) {
          waiting = hash.update(body);
          current.writer.write(body);
        }
        meter?.add(at);
      }
      if (at < bytes.length) {
        bytes.copy(digest, digestFill, at);
        digestFill += bytes.length - at;
      }
      if (digestFill < DIGEST_BYTES) return waiting;
      const finish = async (): Promise<void> => this.#finishFile(current, await hash.digest(), digest, failure);
      return waiting ? waiting.then(finish) : finish();
    });
  }

  /** The whole content and the sender's digest are here: check, then name the file, or not. */
  async #finishFile(c: Current, actual: Buffer, claimed: Buffer, failure: string | null): Promise<void> {
    const e = c.entry;
    const { report } = this.#s;
    this.#current = null;
    let writeError: unknown = null;
    if (c.writer) {
      try {
        c.writer.finish();
      } catch (err) {
        writeError = err;
      }
    }
    if (failure !== null || writeError !== null || c.fd === null) {
      if (c.fd !== null) closeQuietly(c.fd);
      const why = failure ?? reason(writeError);
      report.say(`${e.shown}: could not be written: ${why}`);
      this.#failed++;
      this.#verdict(e, Verdict.FAILED, why);
      if ((writeError as { code?: string } | null)?.code === "ENOSPC") {
        const message = `${this.#s.dir} is full`;
        this.#out(encode.error(message));
        throw new Stop(message);
      }
      return;
    }
    if (!actual.equals(claimed)) {
      if (this.#stillOurs(c.fd, c.path)) unlinkQuietly(c.path);
      closeQuietly(c.fd);
      report.say(`${e.shown}: SHA-256 mismatch: what arrived is not what was sent; not saved`);
      this.#failed++;
      this.#verdict(e, Verdict.MISMATCH, "SHA-256 mismatch");
      return;
    }
    const path = join(this.#s.dir, ...e.parts);
    try {
      // Synchronous: small steps on a file of our own, and per file, where a thread-pool round
      // trip each would cost a folder of small files more than the bytes do.
      fchmodSync(c.fd, (e.mode & 0o777) | 0o600);
      const mtime = new Date(e.mtime);
      futimesSync(c.fd, mtime, mtime);
      if (!this.#stillOurs(c.fd, c.path)) throw new Error("its partial file was moved or replaced during the transfer");
      closeSync(c.fd);
      c.fd = null;
      const there = lstatOrNull(path);
      if (there !== null && !(this.#s.overwrite && there.isFile())) {
        throw new Error("a file of that name appeared meanwhile; kept as the partial file");
      }
      renameSync(c.path, path);
    } catch (err) {
      if (c.fd !== null) closeQuietly(c.fd);
      const why = reason(err);
      report.say(`${e.shown}: could not be put in place: ${why}`);
      this.#failed++;
      this.#verdict(e, Verdict.FAILED, why);
      return;
    }
    this.#saved++;
    this.#bytes += e.size - c.offset;
    this.#lastDigest = actual;
    this.#s.tell(`saved ${e.shown} (${sizeText(e.size)}, sha256 ${actual.toString("hex")})`);
    this.#verdict(e, Verdict.SAVED, "");
  }

  #lastDigest: Buffer | null = null;

  /** Folders this receiver made or checked: made once, then only checked again (one lstat each). */
  readonly #folders = new Set<string>();

  /**
   * Makes the folders of a name, part by part, refusing any part that is a link or a file.
   * A folder made or checked for an earlier file is checked again, so one swapped for a link
   * since has nothing made through it.
   */
  #makeFolders(parts: string[]): void {
    let path = this.#s.dir;
    for (let i = 0; i < parts.length - 1; i++) {
      path = join(path, parts[i] as string);
      if (this.#folders.has(path)) {
        const st = lstatOrNull(path);
        if (st?.isDirectory()) continue;
        if (st !== null)
          throw new Error(
            `a folder of its name became ${st.isSymbolicLink() ? "a link" : "a file"} during the transfer`,
          );
        this.#folders.delete(path);
      }
      try {
        mkdirSync(path, 0o755);
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        const problem = notAFolder(lstatSync(path), parts.slice(0, i + 1).join("/"));
        if (problem !== null) throw new Error(problem);
      }
      this.#folders.add(path);
    }
  }

  #verdict(e: Entry, result: VerdictResult, detail: string): void {
    this.#out(encode.verdict({ index: e.index, result, detail }));
  }

  /** The line ended early: what arrived of the file in flight is kept for a resume. */
  async #abandon(why: string): Promise<void> {
    const c = this.#current;
    this.#current = null;
    if (c === null || c.fd === null) return;
    const e = c.entry;
    const have = c.writer?.written ?? 0;
    const ours = have === 0 && this.#stillOurs(c.fd, c.path);
    closeQuietly(c.fd);
    if (have === 0) {
      if (ours) unlinkQuietly(c.path);
      this.#s.report.say(`${e.shown}: nothing of it arrived (${why})`);
      return;
    }
    this.#s.report.say(
      `${e.shown}: ${why} after ${have} of ${e.size} bytes; kept as ${printable(e.partial)} (send it again to resume)`,
    );
  }

  #summary(): void {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const files = this.#entries.length;
    const rate = seconds > 0 ? this.#bytes / seconds : 0;
    const one = files === 1 && this.#lastDigest ? `, sha256 ${this.#lastDigest.toString("hex")}` : "";
    const failed = this.#failed > 0 ? `; ${this.#failed} not received` : "";
    const already = this.#already > 0 ? ` (${this.#already} already here, the same)` : "";
    this.#s.tell(
      `received ${this.#saved} of ${files} ${files === 1 ? "file" : "files"}${already}: ${sizeText(this.#bytes)} in ${seconds.toFixed(1)} s (${sizeText(rate)}/s)${one}${failed}`,
    );
  }
}

/** Which file a partial was, and how it was, when it was offered. */
interface Kept {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
}

interface Current {
  entry: Entry;
  /** The partial file's descriptor while it is open. */
  fd: number | null;
  writer: FileWriter | null;
  /** Where the content starts (what was here already). */
  offset: number;
  /** Content bytes still due. */
  left: number;
  /** The partial file. */
  path: string;
}

/** The receiver cannot go on (the disk is full): the line is ended, the partial kept. */
class Stop extends Error {}

function blankEntry(f: FileEntry): Entry {
  return {
    ...f,
    shown: printableName(f.name),
    parts: [],
    kind: Offer.NEW,
    offset: 0,
    digest: NO_DIGEST,
    prefix: null,
    kept: null,
    reason: "",
    partial: "",
  };
}

/** A message from the peer as a line may show it. */
function printable(text: string): string {
  return printableName(Buffer.from(text, "utf8"));
}

/** Why a part of a name's path cannot be gone through (a link, a file), or null for a real folder. */
function notAFolder(st: Stats, shown: string): string | null {
  if (st.isSymbolicLink()) return `${shown} is a symbolic link here (never followed)`;
  if (!st.isDirectory()) return `${shown} is a file here, not a folder`;
  return null;
}

/** The path the kernel has for an open descriptor, or null where it does not say (no /proc). */
function kernelName(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

/** The kernel's path for a folder (through a descriptor of it), or null where it does not say. */
function kernelNameOfFolder(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_DIRECTORY);
  } catch {
    return null;
  }
  try {
    return kernelName(fd);
  } finally {
    closeQuietly(fd);
  }
}

function lstatOrNull(path: string): Stats | null {
  return lstatSync(path, { throwIfNoEntry: false }) ?? null;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already
  }
}

/** Whether `promise` settles within `ms` (a rejection counts as settled). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Bytes free for this user in the folder's file system, or null where that is not known. */
async function freeSpace(dir: string): Promise<number | null> {
  try {
    const st = await statfs(dir);
    return st.bavail * st.bsize;
  } catch {
    return null;
  }
}

/**
 * Talk mode: a conversation in a terminal, full duplex. You type on the bottom line with
 * line editing and history; what callers say appears above it, labelled with who and
 * when, without disturbing what you are typing.
 *
 * - Text from a caller is decoded as UTF-8 across chunk boundaries, and control
 *   characters are shown escaped, so a caller cannot move your cursor or clear your screen.
 * - A line that arrives without its newline is shown after a short pause
 *   (PARTIAL_LINE_MS), so a whole message still arrives whole.
 * - Empty lines are not sent. Ctrl-D hangs up politely (FIN, then the last words are
 *   still shown); Ctrl-C hangs up at once (exit 130).
 * - With several callers (-k): plain text goes to everyone, "@2 text" to caller #2 only,
 *   "/to 2" makes #2 the default, "/to all" undoes it, "/who" lists the callers,
 *   "//text" sends "/text". The prompt always shows who you are talking to.
 */
import { createInterface, type Interface } from "node:readline";
import { StringDecoder } from "node:string_decoder";
import { CrlfEncoder, escapeControls, SHUT_WR, SOCK_DGRAM, type Socket } from "../../index.js";
import { IdleClock } from "../call/idle.js";
import type { SessionLog } from "../call/session-log.js";
import { deferred } from "../deferred.js";
import type { Io } from "../io.js";
import type { Options } from "../options/parse.js";
import { reason } from "../report.js";

/** How long text without a newline may wait for the rest of its line before it is shown. */
const PARTIAL_LINE_MS = 150;

interface Caller {
  id: number;
  sock: Socket;
  peer: string;
  decoder: StringDecoder;
  partial: string;
  flushTimer: NodeJS.Timeout | undefined;
  crlf: CrlfEncoder | null;
}

export class Talk {
  readonly #io: Io;
  readonly #o: Options;
  readonly #log: SessionLog;
  readonly #rl: Interface;
  readonly #callers = new Map<number, Caller>();
  /** Several callers at once (a listener with -k). */
  readonly #switchboard: boolean;
  #nextId = 1;
  #target: number | "all" = "all";
  #hungUp = false;
  readonly #idle: IdleClock;
  readonly #done: (code: number) => void;
  readonly finished: Promise<number>;

  constructor(io: Io, o: Options, log: SessionLog, switchboard: boolean) {
    this.#io = io;
    this.#o = o;
    this.#log = log;
    this.#switchboard = switchboard;
    ({ promise: this.finished, resolve: this.#done } = deferred<number>());
    this.#rl = createInterface({ input: io.stdin, output: io.stdout, terminal: true, historySize: 500 });
    this.#rl.on("line", (line) => this.#typed(line));
    this.#rl.on("SIGINT", () => this.#hangUpNow());
    this.#rl.on("close", () => this.#hangUpPolitely());
    io.interrupt.addEventListener("abort", () => this.#hangUpNow(), { once: true });
    this.#updatePrompt();
    this.#idle = new IdleClock(o.idle, () => {
      this.#notice(`idle timeout: nothing said for ${o.idle} ms (-i)`);
      for (const caller of this.#callers.values()) caller.sock.close();
      this.#callers.clear();
      this.#end(1);
    });
  }

  /** Puts a caller on the line; resolves when it has hung up. */
  add(sock: Socket, peer: string, greeting: string): Promise<void> {
    const caller: Caller = {
      id: this.#nextId++,
      sock,
      peer,
      decoder: new StringDecoder("utf8"),
      partial: "",
      flushTimer: undefined,
      crlf: this.#o.crlf ? new CrlfEncoder() : null,
    };
    this.#callers.set(caller.id, caller);
    const hint = this.#switchboard
      ? ` (type to talk to everyone; '@${caller.id} text' to #${caller.id} only; /help)`
      : " (Ctrl-D hangs up)";
    this.#notice(`${greeting} ${this.#name(caller)}${hint}`);
    if (this.#hungUp && !this.#o.noShutdown) sock.shutdown(SHUT_WR);
    return this.#listen(caller).catch((err: unknown) => this.#gone(caller, 1, reason(err)));
  }

  /** A notice from hotline itself, above the input line. */
  notice(text: string): void {
    this.#notice(text);
  }

  async #listen(caller: Caller): Promise<void> {
    for await (const chunk of caller.sock.chunks()) {
      this.#idle.touch();
      this.#log.received(chunk);
      this.#heard(caller, caller.decoder.write(chunk));
    }
    this.#heard(caller, caller.decoder.end());
    this.#flush(caller);
    this.#gone(caller, 0, "hung up");
  }

  /** Shows complete lines at once; holds a trailing partial line briefly for its rest. */
  #heard(caller: Caller, text: string): void {
    if (text === "") return;
    const lines = (caller.partial + text).split("\n");
    caller.partial = lines.pop() ?? "";
    for (const line of lines) this.#show(caller, line);
    clearTimeout(caller.flushTimer);
    if (caller.partial !== "") caller.flushTimer = setTimeout(() => this.#flush(caller), PARTIAL_LINE_MS);
  }

  #flush(caller: Caller): void {
    clearTimeout(caller.flushTimer);
    if (caller.partial !== "") this.#show(caller, caller.partial);
    caller.partial = "";
  }

  #show(caller: Caller, line: string): void {
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    this.#above(`[${clock()} ${this.#name(caller)}] ${escapeControls(text)}`);
  }

  #notice(text: string): void {
    this.#above(`*** ${text}`);
  }

  /** Prints a line above the input line and redraws what the user is typing. */
  #above(text: string): void {
    const out = this.#io.stdout;
    if (this.#hungUp) {
      out.write(`${text}\n`);
      return;
    }
    const { rows } = this.#rl.getCursorPos();
    out.write(`${rows > 0 ? `\x1b[${rows}A` : ""}\r\x1b[J${text}\n`);
    this.#rl.prompt(true);
  }

  #typed(line: string): void {
    this.#idle.touch();
    if (line.startsWith("/") && !line.startsWith("//")) {
      this.#command(line.trim());
    } else if (line.trim() !== "") {
      let text = line.startsWith("//") ? line.slice(1) : line;
      let targets = this.#targets();
      const direct = /^@(\d+)\s(.*)$/.exec(line);
      if (direct && this.#switchboard) {
        const caller = this.#callers.get(Number(direct[1]));
        if (!caller) {
          this.#notice(`nobody is #${direct[1]} (/who lists the callers)`);
          this.#rl.prompt();
          return;
        }
        targets = [caller];
        text = direct[2] ?? "";
      }
      if (targets.length === 0) this.#notice("nobody is on the line yet");
      for (const caller of targets) this.#say(caller, `${text}\n`);
    }
    this.#updatePrompt();
    this.#rl.prompt();
  }

  #say(caller: Caller, text: string): void {
    const raw = Buffer.from(text, "utf8");
    const data = caller.crlf ? caller.crlf.push(raw) : raw;
    caller.sock.sendall(data).then(
      () => this.#log.sent(data),
      (err: unknown) => this.#notice(`could not send to ${this.#name(caller)}: ${reason(err)}`),
    );
  }

  #command(line: string): void {
    const [word, arg] = line.split(/\s+/, 2);
    if (word === "/who") {
      if (this.#callers.size === 0) this.#notice("nobody is on the line");
      for (const caller of this.#callers.values()) this.#notice(this.#name(caller));
    } else if (word === "/to" && arg === "all") {
      this.#target = "all";
    } else if (word === "/to" && arg !== undefined && this.#callers.has(Number(arg))) {
      this.#target = Number(arg);
    } else if (word === "/to") {
      this.#notice(`nobody is #${arg ?? "?"}; /who lists the callers`);
    } else {
      this.#notice(
        this.#switchboard
          ? "text goes to everyone; '@N text' to caller #N only; '/to N' or '/to all' sets who hears you; /who lists callers; '//text' sends '/text'; Ctrl-D hangs up, Ctrl-C quits"
          : "type and press Enter to talk; '//text' sends '/text'; Ctrl-D hangs up politely, Ctrl-C at once",
      );
    }
  }

  #targets(): Caller[] {
    if (this.#target === "all") return [...this.#callers.values()];
    const one = this.#callers.get(this.#target);
    return one ? [one] : [];
  }

  #updatePrompt(): void {
    if (!this.#switchboard) this.#rl.setPrompt("> ");
    else this.#rl.setPrompt(this.#target === "all" ? "to all> " : `to #${this.#target}> `);
  }

  #name(caller: Caller): string {
    return this.#switchboard ? `#${caller.id} ${caller.peer}` : caller.peer;
  }

  /** A caller left (`why` says how); the prompt stops naming it before the notice shows. */
  #gone(caller: Caller, code: number, why: string): void {
    clearTimeout(caller.flushTimer);
    this.#callers.delete(caller.id);
    caller.sock.close();
    if (this.#target === caller.id) {
      this.#target = "all";
      this.#updatePrompt();
    }
    this.#notice(`${this.#name(caller)} ${why}`);
    // One call ends the session; a switchboard waits for more unless you hung up.
    if (!this.#switchboard || (this.#hungUp && this.#callers.size === 0)) this.#end(code);
  }

  /** Ctrl-D: FIN to everyone; their last words are still shown until they hang up. */
  #hangUpPolitely(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    this.#io.stdout.write("\n");
    if (this.#callers.size === 0) {
      this.#end(0);
      return;
    }
    const streams = [...this.#callers.values()].filter((caller) => caller.sock.type !== SOCK_DGRAM);
    if (streams.length > 0) this.#notice("you hung up; waiting for the other side to finish (Ctrl-C quits)");
    for (const caller of this.#callers.values()) {
      if (caller.sock.type === SOCK_DGRAM) {
        this.#gone(caller, 0, "is off the line (UDP has no goodbye)");
        continue;
      }
      try {
        caller.sock.shutdown(SHUT_WR);
      } catch {
        // already gone
      }
    }
  }

  /** Ctrl-C: everyone is cut off at once. */
  #hangUpNow(): void {
    for (const caller of this.#callers.values()) {
      clearTimeout(caller.flushTimer);
      caller.sock.close();
    }
    this.#callers.clear();
    this.#end(130);
  }

  #end(code: number): void {
    this.#idle.stop();
    this.#hungUp = true;
    this.#rl.close();
    this.#done(code);
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/**
 * Talk mode: a conversation in a terminal, full duplex. You type on the bottom line with
 * line editing and history; what callers say appears above it, labelled with who and
 * when, without disturbing what you are typing.
 *
 * - Nothing a caller says is ever lost from the screen: the input line, however many rows
 *   it wraps to and wherever its cursor is, is redrawn below each message, and after the
 *   terminal is resized.
 * - Text from a caller is decoded as UTF-8 across chunk boundaries; control characters,
 *   bidirectional controls and invalid bytes are shown escaped, so a caller cannot move
 *   your cursor, clear your screen or reorder what you read.
 * - A line that arrives without its newline is shown after a short pause
 *   (PARTIAL_LINE_MS), so a whole message still arrives whole.
 * - Every line you enter is sent, empty ones too (a blank line ends an HTTP request).
 *   Ctrl-D hangs up politely (FIN, then the last words are still shown); Ctrl-C hangs up
 *   at once (exit 130). When the call ends the input line is erased, and text you had
 *   not sent is named as discarded.
 * - With several callers (-k): plain text goes to everyone, "@2 text" (or the chat room's
 *   "/msg 2 text") to caller #2 only,
 *   "/to 2" makes #2 the default, "/to all" undoes it, "/who" lists the callers,
 *   "//text" sends "/text". The prompt always shows who you are talking to; a line is
 *   never sent to more people than you chose (if #2 hangs up, text for #2 goes nowhere).
 * - In a chat (--chat), you are a member of the room (topologies/chat-room.ts): every
 *   line you enter goes to the room, whose rules (/nick, /who, /msg) are the same for you
 *   as for every caller, and the room's lines are shown here, private ones marked so.
 * - Dialling a chat room: a call whose first two lines are a hotline room's greeting to a
 *   newcomer (chat-room.ts: `<announce> IP is connected as <userN>.`, then `<announce>
 *   already connected: the listener as <user0>...`) makes you a member as the listener
 *   is: every line you enter goes to the room as typed (/nick, /who, /msg, /help and
 *   //text are the room's), and its lines are shown as the room names them, private ones
 *   marked so. Only keys stay here: Ctrl-D hangs up, Ctrl-C at once. A room that greets
 *   the same way but is not hotline's (ncat --chat has no commands) only has its lines
 *   shown by name; your /commands stay local. Nothing changes for any other call, and
 *   nothing a peer says later can switch a call into either.
 * - A terminal that stops reading (a stalled ssh session, a sleeping laptop's terminal)
 *   never stops hotline: its writes do not block (main.ts), and what waits for it is
 *   bounded (TERMINAL_BACKLOG). Over the bound a caller's words wait for it (the call is
 *   not read meanwhile, so the caller is slowed as by any slow reader), while the chat
 *   room's lines, hotline's notices and the input line are not drawn; once the terminal
 *   has taken all that waited, one notice says how many lines were dropped. The last
 *   words of a session are always written.
 */
import { EventEmitter } from "node:events";
import { createInterface, type Interface } from "node:readline";
import { PassThrough } from "node:stream";
import { escapeControls, Utf8Decoder } from "../../index.js";
import type { Call } from "../call/call.js";
import { later } from "../call/timer.js";
import { deferred } from "../deferred.js";
import { Failure, type Io } from "../io.js";
import { reason } from "../report.js";
import { type ChatLine, parseLine } from "../topologies/chat-codec.js";
import { isCommand, msgArgs, splitFirst } from "../topologies/conference-command.js";
import { Roster } from "../topologies/roster.js";
import { formatSize } from "../topologies/send-queue.js";

/** How long text without a newline may wait for the rest of its line before it is shown. */
const PARTIAL_LINE_MS = 150;

/**
 * The most that waits for a terminal that stopped reading, about (Node counts a string's
 * characters): far more than a person reads, and little memory. A chat room's limit
 * (--queue-limit) lowers it for the listener's seat.
 */
export const TERMINAL_BACKLOG = 1024 * 1024;

/** A chat room's first line to a newcomer (chat-room.ts's join; ncat's wording too), shown safe. */
const ROOM_GREETING = /^<announce> \S+ is connected as <(user[0-9]+)>\.$/;
/**
 * A hotline room's second line: the listener is first on the list, by the name it has now
 * (user0 until it renames; a name holds no `<`, `>`, `*` or space: chat-names.ts).
 */
const HOTLINE_ROOM = /^<announce> already connected: the listener as <[^<>*\s]+>[.,]/;

interface Caller {
  id: number;
  /** The call pipeline applies -C, -i, -o/-x and the byte counts; Talk only talks. */
  call: Call;
  peer: string;
  decoder: Utf8Decoder;
  partial: string;
  flushTimer: NodeJS.Timeout | undefined;
  /** A piece of the current line was shown already (it waited too long): the rest is not a line of its own. */
  midLine: boolean;
  /** It has finished sending, and -k keeps the call open for what you still type. */
  finished: boolean;
  /** How many lines it has said (up to 2: a chat room is known by its first two). */
  lines: number;
}

/**
 * Where readline's own drawing goes: nowhere. Readline edits the line (keys, history,
 * kill ring) and Talk draws it. Readline redraws by moving up as many rows as it believes
 * it left the cursor below the prompt, and that belief goes wrong: a paste wraps the line
 * without updating it, and a terminal that rewraps its text when resized moves the cursor
 * under it. Moving up too far erases what callers said above the input line.
 * Readline needs only write() and on/removeListener("resize") of its output.
 */
class NoScreen extends EventEmitter {
  write(): boolean {
    return true;
  }
}

/**
 * How many columns a character takes on a terminal, by readline's own rules (East Asian
 * wide characters and emoji take two, combining marks none): an idle readline that never
 * reads (its input is a stream nobody writes to) measures its prompt with getCursorPos().
 */
class CharWidths {
  readonly #rl = createInterface({
    input: new PassThrough(),
    output: new NoScreen() as unknown as NodeJS.WritableStream,
    terminal: false,
  });
  readonly #known = new Map<string, number>();

  of(char: string): number {
    let width = this.#known.get(char);
    if (width === undefined) {
      this.#rl.setPrompt(char);
      width = this.#rl.getCursorPos().cols;
      if (this.#known.size >= 4096) this.#known.clear();
      this.#known.set(char, width);
    }
    return width;
  }

  close(): void {
    this.#rl.close();
  }
}

const TAB = 8;

/** The input line as it is drawn: its rows, and where the cursor is among them. */
interface Layout {
  rows: string[];
  cursorRow: number;
  cursorCol: number;
}

/**
 * Cuts `text` into rows `columns` wide, for Talk to end each with a line break of its own
 * rather than let the terminal wrap it. A terminal that rewraps its text when resized
 * (most do) joins only rows it wrapped itself, so the cursor is then never fewer rows below
 * the prompt than Talk counted, whatever the width is by then: moving up that many rows
 * never reaches above the input line. `cursor` is an index into `text`; at the end of a
 * full row the cursor is at the start of the next, as on a terminal. Tabs become spaces;
 * a wide character that does not fit goes to the next row, as on a terminal.
 */
function layout(text: string, cursor: number, columns: number, width: (char: string) => number): Layout {
  const rows: string[] = [];
  let row = "";
  let col = 0;
  let cursorRow = 0;
  let cursorCol = 0;
  let index = 0;
  for (const char of text) {
    const tab = char === "\t";
    let w = tab ? TAB - (col % TAB) : width(char);
    if (col > 0 && col + w > columns) {
      rows.push(row);
      row = "";
      col = 0;
      if (tab) w = TAB; // to the first tab stop of the next row
    }
    if (index === cursor) {
      cursorRow = rows.length;
      cursorCol = col;
    }
    row += tab ? " ".repeat(w) : char;
    col += w;
    index += char.length;
  }
  if (cursor >= index) {
    if (col >= columns) {
      rows.push(row);
      row = "";
      col = 0;
    }
    cursorRow = rows.length;
    cursorCol = col;
  }
  rows.push(row);
  return { rows, cursorRow, cursorCol };
}

/** Moves the cursor up `rows` rows (nothing for 0: CSI 0 A would still move one). */
const up = (rows: number): string => (rows > 0 ? `\x1b[${rows}A` : "");
/** Moves the cursor right `cols` columns. */
const right = (cols: number): string => (cols > 0 ? `\x1b[${cols}C` : "");

export class Talk {
  readonly #io: Io;
  /** The line editor; it draws nothing (NoScreen), Talk draws the line it holds. */
  readonly #rl: Interface;
  readonly #widths = new CharWidths();
  /** How many rows below the prompt's first row the cursor was left when the input line was drawn; null while it is not on screen. */
  #drawnRow: number | null = null;
  #drawQueued = false;
  readonly #onKey = (_: unknown, key: { ctrl?: boolean; name?: string } | undefined): void => this.#key(key);
  readonly #onResize = (): void => this.#resized();
  /** Who is on the line, by number (never reused): the same list the chat room keeps. */
  readonly #callers = new Roster<Caller>();
  /** Several callers at once (a listener with -k). */
  readonly #switchboard: boolean;
  /** Who hears plain text; a caller chosen with /to stays chosen after hanging up, so nobody else hears it. */
  #target: number | "all" = "all";
  /** No more input: the input line is gone from the screen and readline is closed. */
  #hungUp = false;
  #ended = false;
  readonly #done: (code: number) => void;
  readonly finished: Promise<number>;

  /** -q: how long after Ctrl-D the others have to finish; null waits for them. */
  readonly #quitAfter: number | null;
  #cancelQuit: (() => void) | null = null;
  /** -k when dialling: the call stays open after the other side finished sending. */
  readonly #stayAfterPeer: boolean;
  readonly #onInterrupt = (): void => this.#hangUpNow();
  /** In a chat: where the lines you enter go (the room takes commands too); null otherwise. */
  #room: ((line: string) => void) | null = null;
  /**
   * The call you dialled is a chat room: "greeted" once its first line was a room's greeting
   * (its lines are shown by sender), "member" once the second showed it is hotline's (what
   * you enter goes to the room as typed, commands too). Null for every other call.
   */
  #dialledRoom: "greeted" | "member" | null = null;
  /** How much may wait for the terminal before it is behind. */
  #backlog = TERMINAL_BACKLOG;
  /** Set while the terminal is behind; settles once it has taken all that waited. */
  #catchingUp: { promise: Promise<void>; resolve: () => void } | null = null;
  /** Lines not drawn while the terminal was behind, counted when it catches up. */
  #dropped = 0;
  /** Writes made so far, so that a write's callback knows whether it was the last. */
  #writes = 0;

  constructor(io: Io, switchboard: boolean, quitAfter: number | null = null, stayAfterPeer = false) {
    this.#io = io;
    this.#quitAfter = quitAfter;
    this.#stayAfterPeer = stayAfterPeer;
    this.#switchboard = switchboard;
    ({ promise: this.finished, resolve: this.#done } = deferred<number>());
    // Readline takes any object with write() and on() as its output; NoScreen is one.
    const output = new NoScreen() as unknown as NodeJS.WritableStream;
    this.#rl = createInterface({ input: io.stdin, output, terminal: true, historySize: 500 });
    // After readline's own listener: the key has changed the line when the line is drawn.
    io.stdin.on("keypress", this.#onKey);
    io.stdout.on("resize", this.#onResize);
    this.#rl.on("line", (line) => this.#typed(line));
    this.#rl.on("SIGINT", () => this.#hangUpNow());
    this.#rl.on("SIGCONT", () => this.#continued());
    this.#rl.on("close", () => this.#hangUpPolitely());
    io.interrupt.addEventListener("abort", this.#onInterrupt, { once: true });
    this.#updatePrompt();
  }

  /** Puts a caller on the line; resolves when it has hung up. */
  add(call: Call, greeting: string): Promise<void> {
    const caller: Caller = {
      id: 0,
      call,
      peer: call.peer,
      decoder: new Utf8Decoder(),
      partial: "",
      flushTimer: undefined,
      finished: false,
      lines: 0,
      midLine: false,
    };
    // -i and other give-ups end the call from the pipeline; the conversation says why.
    call.abandoned.then((why) => {
      if (why.failure) this.#gone(caller, why.code, `is off the line: ${why.failure.message}`);
      else if (why.code === 0) this.#gone(caller, 0, "is off the line (-i: nothing said)");
    });
    caller.id = this.#callers.add(caller).id;
    const hint = this.#switchboard
      ? ` (type to talk to everyone; '@${caller.id} text' to #${caller.id} only; /help)`
      : " (Ctrl-D hangs up)";
    this.#notice(`${greeting} ${this.#name(caller)}${hint}`);
    if (this.#hungUp) this.#shutdown(caller);
    return this.#listen(caller).catch((err: unknown) => this.#failed(caller, err));
  }

  /**
   * Makes this the listener's seat in a chat: what you enter goes to `say`, and hear()
   * shows the room. The room never waits for this terminal: over `queueLimit` (or
   * TERMINAL_BACKLOG, if lower) waiting for it, its lines are dropped and counted.
   */
  joinRoom(say: (line: string) => void, queueLimit: number): void {
    this.#room = say;
    this.#backlog = Math.min(queueLimit, TERMINAL_BACKLOG);
    this.#redraw();
  }

  /** A line of the chat room (its text is safe already): who said it, and whether to you only. */
  hear(line: ChatLine): void {
    this.#hear(line, false);
  }

  /** A room's line; `always` for one a call brought (the call waits for the terminal instead). */
  #hear(line: ChatLine, always: boolean): void {
    if (line.kind === "announce") this.#notice(line.text, always);
    else if (line.kind === "private")
      this.#above(`[${clock()} *${line.from}* to you only] ${escapeControls(line.text)}`, always);
    else this.#above(`[${clock()} <${line.from}>] ${escapeControls(line.text)}`, always);
  }

  /** A notice from hotline itself, above the input line. */
  notice(text: string): void {
    this.#notice(text);
  }

  /** The read loop: what the caller says, until it hangs up. */
  async #listen(caller: Caller): Promise<void> {
    await caller.call.receive((chunk) => this.#hearCaller(caller, caller.decoder.write(chunk)));
    await this.#hearCaller(caller, caller.decoder.end());
    this.#flush(caller);
    if (this.#stayAfterPeer && !this.#hungUp) {
      caller.finished = true;
      this.#notice(`${this.#name(caller)} has finished sending; type on, Ctrl-D hangs up (-k)`);
      return;
    }
    this.#gone(caller, 0, "hung up");
  }

  /**
   * A call failed. A local failure (a -o/-x file that cannot be written) ends the whole
   * session, every caller included: going on would lose data in silence.
   */
  #failed(caller: Caller, err: unknown): void {
    if (err instanceof Failure && err.local) {
      this.#notice(err.message, true);
      this.#cutOffEveryone();
      this.#end(1);
      return;
    }
    this.#gone(caller, 1, reason(err));
  }

  /**
   * Shows what a caller said. A caller's words are never dropped: while the terminal is
   * behind they wait for it (as a promise, so the call is not read meanwhile), and so does
   * the rest of the chunk, line by line, however many lines it holds.
   */
  #hearCaller(caller: Caller, text: string): Promise<void> | undefined {
    let rest = this.#heard(caller, text);
    if (rest === null) return undefined;
    return (async () => {
      while (rest !== null) {
        await this.#untilCaughtUp(caller);
        // Given up, or the session is over: nobody reads its words any more.
        if (this.#ended || !this.#callers.has(caller.id)) return;
        rest = this.#heard(caller, rest);
      }
    })();
  }

  /**
   * Shows complete lines at once; holds a trailing partial line briefly for its rest.
   * Stops once the terminal is behind, and returns what it has not shown yet (null when
   * the terminal is not behind).
   */
  #heard(caller: Caller, text: string): string | null {
    if (text === "") return this.#behind() ? "" : null;
    const all = caller.partial + text;
    caller.partial = "";
    clearTimeout(caller.flushTimer);
    let at = 0;
    for (let end = all.indexOf("\n"); end >= 0; end = all.indexOf("\n", at)) {
      const line = all.slice(at, end);
      at = end + 1;
      // The end of a line whose start was shown already: its rest (if any) follows it.
      if (!(caller.midLine && line === "")) this.#show(caller, line, caller.midLine);
      caller.midLine = false;
      if (this.#behind()) return all.slice(at);
    }
    caller.partial = all.slice(at);
    if (caller.partial !== "") caller.flushTimer = setTimeout(() => this.#flush(caller), PARTIAL_LINE_MS);
    return this.#behind() ? "" : null;
  }

  #flush(caller: Caller): void {
    clearTimeout(caller.flushTimer);
    if (caller.partial !== "") {
      this.#show(caller, caller.partial, caller.midLine);
      caller.midLine = true;
    }
    caller.partial = "";
  }

  /**
   * Shows one line from the peer, or a piece of one. A piece that continues a line (`rest`)
   * is never read as a room's line: in a room, a member whose line arrived in two pieces
   * far apart must not have the second read as another member's.
   */
  #show(caller: Caller, line: string, rest: boolean): void {
    const text = escapeControls(line.endsWith("\r") ? line.slice(0, -1) : line);
    const wasMember = this.#dialledRoom === "member";
    if (caller.lines < 2) this.#recogniseRoom(caller, rest ? "" : text, caller.lines++);
    // A room's line, already made safe above, is shown by who said it; the room's own news
    // is marked as the room's, apart from hotline's notices (`*** `), which it cannot write.
    const parsed = this.#dialledRoom !== null && !rest ? parseLine(text) : null;
    if (parsed?.kind === "announce") this.#above(`[${clock()} room] ${parsed.text}`, true);
    else if (parsed) this.#hear(parsed, true);
    else this.#above(`[${clock()} ${this.#name(caller)}] ${text}`, true);
    if (!wasMember && this.#dialledRoom === "member")
      this.#notice(
        "this is a hotline chat room: what you enter goes to the room, /nick /who /msg /help included (/help lists them); Ctrl-D hangs up, Ctrl-C at once",
        true,
      );
  }

  /**
   * Whether the one call you dialled is a chat room, from its first two lines (number `at`)
   * only: after them nothing the peer says changes how the call is handled.
   */
  #recogniseRoom(caller: Caller, text: string, at: number): void {
    if (this.#switchboard || this.#room !== null || !caller.call.line.dialled) return;
    if (at === 0 && ROOM_GREETING.test(text)) this.#dialledRoom = "greeted";
    else if (at === 1 && this.#dialledRoom === "greeted" && HOTLINE_ROOM.test(text)) this.#dialledRoom = "member";
  }

  #notice(text: string, always = false): void {
    this.#above(`*** ${text}`, always);
  }

  /**
   * Prints a line above the input line, which is drawn again below it. While the terminal
   * is behind the line is dropped and counted, unless it is `always` shown: a caller's
   * words (the call waits for the terminal instead) and the session's last words.
   */
  #above(text: string, always = false): void {
    if (!always && this.#behind()) {
      this.#dropped += 1;
      return;
    }
    this.#erase();
    this.#write(`${text}\n`);
    this.#draw();
  }

  /** Takes the input line off the screen: up to the prompt's first row, and clear to the end of the screen. */
  #erase(): void {
    if (this.#drawnRow === null) return;
    this.#write(`${up(this.#drawnRow)}\r\x1b[J`);
    this.#drawnRow = null;
  }

  /** All that Talk shows goes here, in order; the last write's callback tells that the terminal has it all. */
  #write(text: string): void {
    const n = ++this.#writes;
    this.#io.stdout.write(text, () => {
      if (n === this.#writes && this.#catchingUp) this.#tookAll();
    });
  }

  /**
   * Whether the terminal is behind: more than the backlog waits for it. It stays behind
   * until it has taken all that waited, so a terminal that reads again gets one notice
   * and whole lines, not a line here and there.
   */
  #behind(): boolean {
    if (this.#catchingUp) return true;
    if (this.#io.stdout.writableLength <= this.#backlog) return false;
    this.#catchingUp = deferred<void>();
    return true;
  }

  /** Settles when the terminal has caught up, or when `caller`'s call is given up (nobody waits for its words then). */
  #untilCaughtUp(caller: Caller): Promise<void> | undefined {
    const waiting = this.#catchingUp;
    return waiting ? Promise.race([waiting.promise, caller.call.abandoned.then(() => {})]) : undefined;
  }

  /** The terminal took all that waited: the lines dropped meanwhile are counted, and the input line drawn again. */
  #tookAll(): void {
    const waited = this.#catchingUp;
    this.#catchingUp = null;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0)
      this.#notice(
        `${dropped} line${dropped === 1 ? " was" : "s were"} dropped: the terminal was not reading (over ${formatSize(this.#backlog)} waited for it)`,
        true,
      );
    else this.#draw();
    waited?.resolve();
  }

  /** Draws the input line again, unless the terminal is behind (it is drawn once it catches up). */
  #redraw(): void {
    if (!this.#behind()) this.#draw();
  }

  /** Draws the prompt and the line being edited, in rows of its own (layout()), the cursor where readline has it. */
  #draw(): void {
    if (this.#hungUp) return;
    this.#erase();
    this.#updatePrompt();
    const prompt = this.#rl.getPrompt();
    const columns = this.#io.stdout.columns || Number.POSITIVE_INFINITY;
    const at = prompt.length + this.#rl.cursor;
    const { rows, cursorRow, cursorCol } = layout(prompt + this.#rl.line, at, columns, (c) => this.#widths.of(c));
    this.#write(`${rows.join("\r\n")}\r${up(rows.length - 1 - cursorRow)}${right(cursorCol)}`);
    this.#drawnRow = cursorRow;
  }

  /**
   * A key changed the line: it is drawn once the keys that came together (a paste) are
   * all in. Ctrl-Z has stopped the process by now (readline stops it) and it has been
   * continued: the shell has written below the old input line, which is left alone.
   */
  #key(key: { ctrl?: boolean; name?: string } | undefined): void {
    if (key?.ctrl && key.name === "z") this.#drawnRow = null;
    if (this.#drawQueued) return;
    this.#drawQueued = true;
    queueMicrotask(() => {
      this.#drawQueued = false;
      this.#redraw();
    });
  }

  /**
   * The terminal changed width: the input line is drawn again in rows of the new width.
   * A terminal that rewrapped the old rows into more rows (a narrower one that rewraps
   * its text) may keep a piece of the old input line above the new one; nothing above it
   * is touched.
   */
  #resized(): void {
    if (this.#drawnRow !== null) this.#redraw();
  }

  /** Back from Ctrl-Z: readline pauses itself on its return, and reads again once told to. */
  #continued(): void {
    this.#rl.resume();
    this.#redraw();
  }

  /**
   * Enter: readline has emptied its line; what was typed stays on screen above the new
   * prompt, as it was sent (while the terminal is behind, it is a dropped line).
   */
  #typed(line: string): void {
    if (this.#behind()) this.#dropped += 1;
    else {
      this.#erase();
      this.#write(`${this.#rl.getPrompt()}${line}\n`);
    }
    if (this.#room) this.#room(line);
    // The room reads its commands and //text itself, as it does the listener's.
    else if (this.#dialledRoom === "member") this.#sendAll(`${line}\n`);
    else if (isCommand(line)) this.#command(line.trim());
    else this.#send(line);
    this.#redraw();
  }

  /** A line you typed goes to whom you chose (everyone, "/to N", or "@N text"), never to more. */
  #send(line: string): void {
    const direct = this.#switchboard ? /^@(\d+)\s(.*)$/.exec(line) : null;
    const text = direct ? (direct[2] ?? "") : line.startsWith("//") ? line.slice(1) : line;
    const to = direct ? Number(direct[1]) : this.#target;
    if (to === "all") {
      this.#sendAll(`${text}\n`);
      return;
    }
    const caller = this.#callers.get(to)?.value;
    if (caller) this.#say(caller, `${text}\n`);
    else if (!this.#callers.hasLeft(to)) this.#notice(`nobody is #${to}; not sent. /who lists the callers`);
    else if (direct) this.#notice(`#${to} has hung up; not sent`);
    else this.#notice(`#${to} has hung up; not sent. '/to all' to talk to everyone`);
  }

  /** One line to everyone on the line. */
  #sendAll(text: string): void {
    if (this.#callers.size === 0) this.#notice("nobody is on the line yet");
    for (const caller of this.#callers.values()) this.#say(caller, text);
  }

  /** The write side: one line to one caller. */
  #say(caller: Caller, text: string): void {
    caller.call.send(Buffer.from(text, "utf8")).catch((err: unknown) => {
      if (err instanceof Failure && err.local) this.#failed(caller, err);
      else this.#notice(`could not send to ${this.#name(caller)}: ${reason(err)}`);
    });
  }

  /** `line` is trimmed: a command's words are read as the chat room reads them (conference-command.ts). */
  #command(line: string): void {
    const [word, rest] = splitFirst(line);
    const arg: string | undefined = rest.trimStart().split(/\s/)[0] || undefined;
    if (word === "/msg" && this.#switchboard) {
      // The chat room's spelling of "@N text", so the same words work in both.
      const { to, text } = msgArgs(rest);
      const number = /^#?(\d+)$/.exec(to);
      if (number && text !== null) this.#send(`@${number[1]} ${text}`);
      else this.#notice("/msg N text: says text to caller #N only");
    } else if (word === "/who") {
      if (this.#callers.size === 0) this.#notice("nobody is on the line");
      for (const caller of this.#callers.values()) this.#notice(this.#name(caller));
    } else if (word === "/to" && arg === "all") {
      this.#target = "all";
    } else if (word === "/to" && arg !== undefined && /^\d+$/.test(arg) && this.#callers.has(Number(arg))) {
      this.#target = Number(arg);
    } else if (word === "/to" && arg !== undefined && /^\d+$/.test(arg) && this.#callers.hasLeft(Number(arg))) {
      this.#notice(`#${arg} has hung up; /who lists the callers`);
    } else if (word === "/to") {
      this.#notice(`nobody is #${arg ?? "?"}; /who lists the callers`);
    } else if (word !== "/help") {
      this.#notice(`unknown command '${word}'; /help lists the commands`);
    } else {
      this.#notice(
        this.#switchboard
          ? "text goes to everyone; '@N text' (or '/msg N text') to caller #N only; '/to N' or '/to all' sets who hears you; /who lists callers; '//text' sends '/text'; Ctrl-D hangs up, Ctrl-C quits"
          : "type and press Enter to talk; '//text' sends '/text'; Ctrl-D hangs up politely, Ctrl-C at once",
      );
    }
  }

  /** The prompt says who hears you. */
  #updatePrompt(): void {
    if (this.#room || this.#dialledRoom === "member") this.#rl.setPrompt("chat> ");
    else if (!this.#switchboard) this.#rl.setPrompt("> ");
    else if (this.#target === "all") this.#rl.setPrompt("to all> ");
    else if (this.#callers.has(this.#target)) this.#rl.setPrompt(`to #${this.#target}> `);
    else this.#rl.setPrompt(`to #${this.#target} (hung up)> `);
  }

  #name(caller: Caller): string {
    return this.#switchboard ? `#${caller.id} ${caller.peer}` : caller.peer;
  }

  /**
   * A caller left (`why` says how). If you chose it with /to it stays chosen, shown as
   * gone in the prompt, so what you were typing for it goes to nobody rather than to all.
   * A caller you cut off yourself is not on the line any more, and is not announced again.
   */
  #gone(caller: Caller, code: number, why: string): void {
    clearTimeout(caller.flushTimer);
    if (!this.#callers.delete(caller.id)) return;
    this.#close(caller);
    // One call ends the session; a switchboard waits for more unless you hung up.
    const last = !this.#switchboard || (this.#hungUp && this.#callers.size === 0);
    this.#notice(`${this.#name(caller)} ${why}`, last);
    if (last) this.#end(code);
  }

  /** Ctrl-D: FIN to everyone; their last words are still shown until they hang up. */
  #hangUpPolitely(): void {
    if (this.#hungUp) return;
    this.#closeInput();
    if (this.#callers.size === 0) {
      this.#end(0);
      return;
    }
    const streams = [...this.#callers.values()].filter((caller) => !caller.call.line.datagram);
    if (streams.length > 0) this.#notice("you hung up; waiting for the other side to finish (Ctrl-C quits)");
    for (const caller of this.#callers.values()) {
      if (caller.call.line.datagram) {
        this.#gone(caller, 0, "is off the line (UDP has no goodbye)");
        continue;
      }
      this.#shutdown(caller);
      if (caller.finished) this.#gone(caller, 0, "hung up"); // both sides are done now
    }
    // -q: the other side gets that long to finish, then the line is cut.
    if (this.#quitAfter !== null && !this.#ended) {
      this.#cancelQuit = later(this.#quitAfter, () => {
        if (this.#ended) return;
        this.#cutOffEveryone();
        this.#end(0);
      });
    }
  }

  /** Ctrl-C: everyone is cut off at once; it was you who hung up. */
  #hangUpNow(): void {
    if (this.#ended) return;
    this.#cutOffEveryone();
    this.#notice("you hung up", true);
    this.#end(130);
  }

  #cutOffEveryone(): void {
    for (const caller of this.#callers.values()) {
      clearTimeout(caller.flushTimer);
      caller.call.giveUp({ code: 130, failure: null });
      this.#close(caller);
    }
    this.#callers.clear();
  }

  /** The end of the session: the input line is erased, so the shell's prompt starts on a clean line. */
  #end(code: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cancelQuit?.();
    this.#io.interrupt.removeEventListener("abort", this.#onInterrupt);
    this.#closeInput();
    this.#done(code);
    // Nothing is read any more: no call waits for a terminal that is behind.
    this.#catchingUp?.resolve();
  }

  /** Takes the input line off the screen and stops reading keys; unsent text is named, not silently dropped. */
  #closeInput(): void {
    if (this.#hungUp) return;
    this.#hungUp = true;
    const unsent = this.#rl.line;
    this.#erase();
    this.#io.stdin.off("keypress", this.#onKey);
    this.#io.stdout.off("resize", this.#onResize);
    this.#rl.close();
    this.#widths.close();
    if (unsent !== "") this.#notice(`unsent text discarded: ${JSON.stringify(unsent)}`, true);
  }

  /** Sends FIN (not with --no-shutdown): we have nothing more to say, the caller may still talk. */
  #shutdown(caller: Caller): void {
    caller.call.endOfInput();
  }

  #close(caller: Caller): void {
    caller.call.close();
  }
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

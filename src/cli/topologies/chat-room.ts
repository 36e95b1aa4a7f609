/**
 * The chat's rules, with no sockets: who is in the room, under which name, and who reads
 * each line. Every member, the person at the listener included, is a Seat that reads lines
 * (deliver) and says lines (said); how the bytes travel is the broker's business.
 *
 * - A line said goes to everyone else as `<NAME> text`, never back to the sender. The
 *   lines one read gave (a run of them, up to a command) go to each member as one Buffer:
 *   a flood of tiny lines is one object per read in every queue, not one per line.
 * - Joins, leaves, renames and cuts are announced to everyone (`<announce> ...`, ncat's
 *   wording where ncat has one); a newcomer is told who is already there.
 * - Commands (a line starting with `/`; `//text` says `/text`): `/nick NAME` renames,
 *   `/who` lists the room, `/msg NAME text` (or `/msg N text`, by number as the -k
 *   switchboard's `@N`) says text to NAME only (shown to NAME as
 *   `*SENDER* text`, which no public line can look like), `/help`. The answer to a command
 *   goes to the one who gave it.
 */
import { ANNOUNCE, type ChatLine, encodeLine, encodeLines } from "./chat-codec.js";
import { isCommand, msgArgs, splitFirst } from "./conference-command.js";
import { type Entry, Roster } from "./roster.js";

export interface Seat {
  /** Who it is in announcements: "127.0.0.1", "the listener". */
  readonly address: string;
  /** Takes lines: their bytes, newlines included (the Buffer is shared, never changed), and each line read back. */
  deliver(bytes: Buffer, lines: readonly ChatLine[]): void;
}

type Member = Entry<Seat>;

const HELP =
  "commands: /nick NAME renames you; /who lists the room; /msg NAME text says text to NAME only; //text says /text";

export class ChatRoom {
  /** Who is in the room: numbers never reused, names (the same list as the -k switchboard's). */
  readonly #roster = new Roster<Seat>();
  readonly #members = new Map<Seat, Member>();

  /** Seats `seat` as user0 (the listener) or the next userN, and announces it. Returns the name. */
  join(seat: Seat, listener = false): string {
    const others = [...this.#roster.entries()];
    const member = this.#roster.add(seat, listener);
    this.#members.set(seat, member);
    this.#everyone(`${seat.address} is connected as <${member.name}>.`);
    const list = others.map((m) => `${m.value.address} as <${m.name}>`).join(", ");
    this.#tell(member, `already connected: ${list === "" ? "nobody" : list}.`);
    return member.name;
  }

  /** Takes `seat` out, announcing why (`why` is a cut's reason; none for hanging up). */
  leave(seat: Seat, why: string | null = null): void {
    const member = this.#members.get(seat);
    if (!member) return;
    this.#members.delete(seat);
    this.#roster.delete(member.id);
    this.#everyone(why === null ? `<${member.name}> is disconnected.` : `<${member.name}> was cut: ${why}.`);
  }

  /** The member's name now, or null once it has left. */
  nameOf(seat: Seat): string | null {
    return this.#members.get(seat)?.name ?? null;
  }

  get size(): number {
    return this.#members.size;
  }

  /**
   * Whole lines (safe text, chat-codec's showLine) from `seat`, in order, as one read gave
   * them: commands, and words for everyone (each run of those delivered at once).
   */
  said(seat: Seat, texts: readonly string[]): void {
    const member = this.#members.get(seat);
    if (!member) return;
    let run: ChatLine[] = [];
    const flush = (): void => {
      if (run.length === 0) return;
      const bytes = encodeLines(run);
      for (const other of this.#roster.entries()) if (other !== member) other.value.deliver(bytes, run);
      run = [];
    };
    for (const text of texts) {
      if (isCommand(text)) {
        flush(); // what came before the command is heard before its effect (a /nick)
        this.#command(member, text);
      } else run.push({ kind: "said", from: member.name, text: text.startsWith("//") ? text.slice(1) : text });
    }
    flush();
  }

  #command(member: Member, text: string): void {
    const [word = "", rest = ""] = splitFirst(text);
    if (word === "/nick") this.#rename(member, rest.trim());
    else if (word === "/who") {
      const list = [...this.#roster.entries()].map((m) => `<${m.name}> ${m.value.address}`).join(", ");
      this.#tell(member, `here: ${list}.`);
    } else if (word === "/msg") {
      const { to, text } = msgArgs(rest);
      const words = text ?? "";
      const target = this.#roster.find(to);
      if (to === "") this.#tell(member, "/msg NAME text: says text to NAME only");
      else if (!target) this.#tell(member, `nobody here is <${to}>; not sent. /who lists the room`);
      else if (target === member) this.#tell(member, "that is you; not sent");
      else {
        const line: ChatLine = { kind: "private", from: member.name, text: words };
        target.value.deliver(encodeLine(line), [line]);
      }
    } else if (word === "/help") this.#tell(member, HELP);
    else this.#tell(member, `unknown command ${word}; /help lists them, //text says /text`);
  }

  #rename(member: Member, name: string): void {
    const old = member.name;
    if (name === old) return;
    const problem = this.#roster.rename(member, name);
    if (problem !== null) {
      this.#tell(member, `not renamed: ${problem}.`);
      return;
    }
    this.#everyone(`<${old}> is now known as <${name}>.`);
  }

  #everyone(text: string): void {
    const line: ChatLine = { kind: "announce", from: ANNOUNCE, text };
    const bytes = encodeLine(line);
    for (const m of this.#roster.values()) m.deliver(bytes, [line]);
  }

  #tell(member: Member, text: string): void {
    const line: ChatLine = { kind: "announce", from: ANNOUNCE, text };
    member.value.deliver(encodeLine(line), [line]);
  }
}

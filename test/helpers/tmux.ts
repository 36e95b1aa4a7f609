/**
 * A real terminal for interactive tests: tmux on a private socket, fixed pane size,
 * a plain shell in each window. Tests type with keys() and read the screen with screen(),
 * polling against a deadline in waitFor().
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir } from "./transports.js";

export class Tmux {
  readonly #socket = join(tempDir(), "tmux.sock");

  #run(args: string[]): string {
    return execFileSync("tmux", ["-S", this.#socket, ...args], { encoding: "utf8" });
  }

  /** A new window running bash with no startup files; the terminal is 100 by 30. */
  open(name: string): void {
    const shell = ["env", "PS1=$ ", "TERM=xterm-256color", "bash", "--norc", "--noprofile"];
    if (this.#hasServer()) {
      this.#run(["new-window", "-t", "test", "-n", name, ...shell]);
    } else {
      this.#run(["new-session", "-d", "-s", "test", "-n", name, "-x", "100", "-y", "30", ...shell]);
      this.#run(["set-option", "-g", "history-limit", "5000"]);
    }
  }

  /** Types text literally (no key names), then Enter unless told not to. */
  type(name: string, text: string, enter = true): void {
    this.#run(["send-keys", "-t", `test:${name}`, "-l", text]);
    if (enter) this.#run(["send-keys", "-t", `test:${name}`, "Enter"]);
  }

  /** Presses keys by tmux name: "C-d", "C-c", "Enter". */
  press(name: string, ...keys: string[]): void {
    this.#run(["send-keys", "-t", `test:${name}`, ...keys]);
  }

  /** Resizes window `name` as dragging its edge would (the program sees SIGWINCH). */
  resize(name: string, columns: number, rows: number): void {
    this.#run(["resize-window", "-t", `test:${name}`, "-x", String(columns), "-y", String(rows)]);
  }

  /** What the pane shows now (joined where lines wrapped); with `history`, the scrollback above it too. */
  screen(name: string, history = false): string {
    return this.#run(["capture-pane", "-p", "-J", ...(history ? ["-S", "-"] : []), "-t", `test:${name}`]);
  }

  /** Polls the screen until it matches; fails with the screen at the deadline. */
  async waitFor(name: string, pattern: RegExp, ms = 10_000): Promise<RegExpMatchArray> {
    const matches: RegExpMatchArray[] = [];
    const found = (text: string): boolean => {
      const match = pattern.exec(text);
      if (match) matches.push(match);
      return match !== null;
    };
    await this.waitUntil(name, String(pattern), found, { ms });
    return matches[0] as RegExpMatchArray;
  }

  /**
   * Polls the screen (with `history`, and the scrollback) until `check` accepts it (`what`
   * names the wait); fails with the screen at the deadline.
   */
  async waitUntil(
    name: string,
    what: string,
    check: (screen: string) => boolean,
    { ms = 10_000, history = false } = {},
  ): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const text = this.screen(name, history);
      if (check(text)) return text;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} in window ${name}:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Where the cursor is in the pane: column and row, from 0. */
  cursor(name: string): [x: number, y: number] {
    const [x = "", y = ""] = this.#run(["display-message", "-p", "-t", `test:${name}`, "#{cursor_x} #{cursor_y}"])
      .trim()
      .split(" ");
    return [Number(x), Number(y)];
  }

  /** Polls until the cursor is in column `x`; fails with the screen at the deadline. */
  async waitForCursorAt(name: string, x: number, ms = 10_000): Promise<void> {
    await this.waitUntil(name, `the cursor in column ${x}`, () => this.cursor(name)[0] === x, { ms });
  }

  close(): void {
    try {
      this.#run(["kill-server"]);
    } catch {
      // already gone
    }
  }

  #hasServer(): boolean {
    try {
      this.#run(["has-session", "-t", "test"]);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Who is on a conference call: the one list both conferences keep, the -k switchboard in
 * talk mode (endpoints/terminal.ts) and the chat room (chat-room.ts). Pure.
 *
 * - Each member gets a number when it joins, counting up from 1, never reused: a number
 *   below the next one that is not on the list has left (so "#2 has hung up" can be told
 *   from "nobody is #2", and a line meant for someone who left goes to nobody, never to a
 *   newcomer who took the number; ncat's chat names members after their descriptor, which
 *   the next caller takes). The person at the listener, when a member, is number 0.
 * - Each has a name, `userN` unless it picks another (rename(): chat-names.ts's rules).
 * - A member is found by number ("2", "#2") or by name, in any case.
 */
import { lookalike, nameProblem } from "./chat-names.js";

export interface Entry<T> {
  readonly id: number;
  name: string;
  readonly value: T;
}

export class Roster<T> {
  readonly #entries = new Map<number, Entry<T>>();
  /**
   * Each member's lookalike() key, and whose each key is: a rename is checked against the
   * keys kept here, not made again for everyone (a flood of /nick in a big room would).
   */
  readonly #keys = new Map<number, string>();
  readonly #owners = new Map<string, number>();
  #next = 1;

  /** Puts `value` on the list under the next number (or 0, the listener's), named `userN`. */
  add(value: T, listener = false): Entry<T> {
    const id = listener ? 0 : this.#next++;
    const entry: Entry<T> = { id, name: `user${id}`, value };
    this.#entries.set(id, entry);
    this.#name(entry, entry.name);
    return entry;
  }

  /** Takes member `id` off the list; false if it was not on it. */
  delete(id: number): boolean {
    const key = this.#keys.get(id);
    if (key !== undefined && this.#owners.get(key) === id) this.#owners.delete(key);
    this.#keys.delete(id);
    return this.#entries.delete(id);
  }

  clear(): void {
    this.#entries.clear();
    this.#keys.clear();
    this.#owners.clear();
  }

  has(id: number): boolean {
    return this.#entries.has(id);
  }

  get(id: number): Entry<T> | undefined {
    return this.#entries.get(id);
  }

  /** Whether member `id` was on the list and has left. */
  hasLeft(id: number): boolean {
    return id >= 1 && id < this.#next && !this.#entries.has(id);
  }

  /** The member `ref` names: "2", "#2", or a name in any case; null if nobody on the list. */
  find(ref: string): Entry<T> | null {
    const number = /^#?([0-9]{1,9})$/.exec(ref);
    if (number) return this.#entries.get(Number(number[1])) ?? null;
    const lower = ref.toLowerCase();
    for (const entry of this.#entries.values()) if (entry.name.toLowerCase() === lower) return entry;
    return null;
  }

  /** Renames `entry` to `name`; returns why not (chat-names.ts's rules), or null once done. */
  rename(entry: Entry<T>, name: string): string | null {
    const problem = nameProblem(name, (key) => {
      const owner = this.#owners.get(key);
      return owner !== undefined && owner !== entry.id;
    });
    if (problem === null) this.#name(entry, name);
    return problem;
  }

  #name(entry: Entry<T>, name: string): void {
    const old = this.#keys.get(entry.id);
    if (old !== undefined && this.#owners.get(old) === entry.id) this.#owners.delete(old);
    const key = lookalike(name);
    entry.name = name;
    this.#keys.set(entry.id, key);
    this.#owners.set(key, entry.id);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The members in the order they joined (the listener first). */
  entries(): IterableIterator<Entry<T>> {
    return this.#entries.values();
  }

  /** What the members are. */
  *values(): IterableIterator<T> {
    for (const entry of this.#entries.values()) yield entry.value;
  }
}

/**
 * One input, many readers: the -k fan-out's stdin, which every caller on the line gets.
 * The input is read once; each chunk goes to every member, and the next is read only
 * when no member still holds the last (a chunk's memory is reused by the next read).
 * Nothing is read while nobody is on the line, so `hotline -lk < file` sends the file to
 * a caller instead of reading it to nobody; a chunk read just as the last member left is
 * kept for the next one. A member that joins late gets the chunks that follow; one that
 * leaves never holds the others up. --serial uses it too, with one member at a time, so
 * a call that ends while its read is pending never takes a chunk with it.
 */
import { deferred } from "../deferred.js";

interface Member {
  /** The generation of the chunk it was last handed. */
  seen: number;
  /** Handed the current chunk and not yet back for the next. */
  holding: boolean;
  left: boolean;
}

/** Each member's view of the input; leave() when its call ends. */
export interface Share extends AsyncIterable<Buffer> {
  leave(): void;
}

const DONE: IteratorResult<Buffer> = { value: undefined, done: true };

export class Broadcast {
  readonly #source: AsyncIterable<Buffer>;
  #iterator: AsyncIterator<Buffer> | null = null;
  readonly #members = new Set<Member>();
  #chunk: Buffer | null = null;
  #generation = 0;
  /** Whether any member was handed the current chunk: one read while nobody was left waits for the next. */
  #delivered = false;
  #reading = false;
  #ended = false;
  #failure: unknown = null;
  #wake = deferred<void>();

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source;
  }

  join(): Share {
    // A chunk nobody was handed yet (read just as the last member left) is this one's.
    const member: Member = {
      seen: this.#delivered ? this.#generation : this.#generation - 1,
      holding: false,
      left: false,
    };
    this.#members.add(member);
    const iterator: AsyncIterator<Buffer> = {
      next: () => this.#next(member),
      return: async () => {
        this.#leave(member);
        return DONE;
      },
    };
    return {
      [Symbol.asyncIterator]: () => iterator,
      leave: () => this.#leave(member),
    };
  }

  /** Ends every member's input now (the drain at an interrupt): they see the end of input. */
  end(): void {
    this.#ended = true;
    this.#signal();
  }

  async #next(member: Member): Promise<IteratorResult<Buffer>> {
    member.holding = false;
    for (;;) {
      if (member.left) return DONE;
      if (this.#failure) throw this.#failure;
      if (member.seen < this.#generation && this.#chunk !== null) {
        member.seen = this.#generation;
        member.holding = true;
        this.#delivered = true;
        return { value: this.#chunk, done: false };
      }
      if (this.#ended) return DONE;
      if (!this.#reading && ![...this.#members].some((m) => m.holding)) this.#read();
      const wake = this.#wake.promise;
      await wake;
    }
  }

  #read(): void {
    this.#reading = true;
    this.#chunk = null;
    this.#iterator ??= this.#source[Symbol.asyncIterator]();
    this.#iterator.next().then(
      (result) => {
        this.#reading = false;
        if (result.done) this.#ended = true;
        else {
          this.#chunk = result.value;
          this.#generation += 1;
          this.#delivered = false;
        }
        this.#signal();
      },
      (err: unknown) => {
        this.#reading = false;
        this.#failure = err;
        this.#signal();
      },
    );
  }

  #leave(member: Member): void {
    if (member.left) return;
    member.left = true;
    member.holding = false;
    this.#members.delete(member);
    this.#signal();
  }

  /** Wakes every waiting member to look again. */
  #signal(): void {
    const wake = this.#wake;
    this.#wake = deferred<void>();
    wake.resolve();
  }
}

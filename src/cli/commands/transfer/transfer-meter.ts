/**
 * The meter of `hotline send` and `hotline receive`: one line on stderr with the file being
 * moved (with several files, its bytes moved and its size; its own percent; its place in
 * the list), then the bytes moved of all, the rate, the time, the percent and the ETA of
 * the whole transfer. Progress (call/progress.ts) draws it; this only keeps the counts.
 */
import { type MeterTarget, Progress, sizeText } from "../../call/progress.js";
import type { Reporter } from "../../report.js";

export class TransferMeter {
  readonly #target: MeterTarget;
  readonly #report: Reporter;
  readonly #direction: "sent" | "received";
  #progress: Progress | null = null;
  #moved = 0;
  #name = "";
  #fileSize = 0;
  #fileDone = 0;
  #files = 0;
  #count = 0;

  constructor(target: MeterTarget, report: Reporter, direction: "sent" | "received") {
    this.#target = target;
    this.#report = report;
    this.#direction = direction;
  }

  /** The transfer starts: `total` bytes (when known) of `count` files are to be moved. */
  begin(total: number | undefined, count: number): void {
    this.stop();
    this.#moved = 0;
    this.#files = 0;
    this.#count = count;
    const progress = new Progress({
      ...this.#target,
      total,
      only: this.#direction,
      counts: () => (this.#direction === "sent" ? [this.#moved, 0] : [0, this.#moved]),
      label: () => {
        if (this.#name === "") return "";
        const percent = this.#fileSize === 0 ? 100 : Math.floor((this.#fileDone * 100) / this.#fileSize);
        // One file: the numbers of the whole are the file's own.
        if (this.#count <= 1) return `${this.#name} ${percent}%`;
        const bytes = `${sizeText(this.#fileDone)}/${sizeText(this.#fileSize)}`;
        return `${this.#name} ${bytes} ${percent}% (${this.#files}/${this.#count})`;
      },
    });
    this.#progress = progress;
    this.#report.meter = progress;
    progress.start();
  }

  /** The next file's content starts (after `offset` bytes already there). */
  file(name: string, size: number, offset: number): void {
    this.#name = name;
    this.#fileSize = size;
    this.#fileDone = offset;
    this.#files++;
  }

  /** Content bytes moved. */
  add(bytes: number): void {
    this.#moved += bytes;
    this.#fileDone += bytes;
  }

  /** Erases the line for good (the summary follows). */
  stop(): void {
    if (this.#progress === null) return;
    if (this.#report.meter === this.#progress) this.#report.meter = null;
    this.#progress.stop();
    this.#progress = null;
  }
}

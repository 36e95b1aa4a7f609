/**
 * The send/receive meter's line: with one file, its name and percent (the numbers of the
 * whole are the file's own); with several, the file's bytes and size too, and its place in
 * the list. Rendered directly (Progress.render), no terminal and no timer needed.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import type { Progress } from "../../src/cli/call/progress.js";
import { TransferMeter } from "../../src/cli/commands/transfer/transfer-meter.js";
import { Reporter } from "../../src/cli/report.js";

const MiB = 1024 * 1024;

function meter(count: number, total: number): { meter: TransferMeter; line: () => string } {
  const report = new Reporter(new PassThrough(), 0);
  const m = new TransferMeter({ write: () => {}, columns: () => 200, behind: () => false }, report, "received");
  m.begin(total, count);
  const line = (): string => {
    const progress = report.meter as Progress;
    progress.tick(); // takes the counts
    return progress.render();
  };
  return { meter: m, line };
}

test("one file: its name and percent, then the whole transfer's numbers", () => {
  const { meter: m, line } = meter(1, 8 * MiB);
  m.file("movie.bin", 8 * MiB, 0);
  m.add(2 * MiB);
  assert.match(line(), /^movie\.bin 25% {2}.*2\.00 MiB.*25%/);
  m.stop();
});

test("several files: the file's bytes and size, its percent and its place in the list", () => {
  const { meter: m, line } = meter(3, 12 * MiB);
  m.file("a.bin", 2 * MiB, 0);
  m.add(2 * MiB);
  m.file("b.bin", 8 * MiB, 4 * MiB); // resumed: 4 MiB were there
  m.add(2 * MiB);
  assert.match(line(), /^b\.bin 6\.00 MiB\/8\.00 MiB 75% \(2\/3\) {2}.*4\.00 MiB/);
  m.stop();
});

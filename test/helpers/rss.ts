/** A process's resident memory, now and at its peak while a test runs (Linux: /proc). */
import { readFileSync } from "node:fs";

/** The process's resident memory now, in bytes. */
export function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return kb ? Number(kb[1]) * 1024 : 0;
}

/** Samples `pid`'s RSS every 20 ms until stop(), which returns the peak seen. */
export function watchRss(pid: number): { stop: () => number } {
  let peak = rss(pid);
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rss(pid));
    } catch {
      // the process is gone: its peak is what was seen
    }
  }, 20);
  return {
    stop: () => {
      clearInterval(sampler);
      return peak;
    },
  };
}

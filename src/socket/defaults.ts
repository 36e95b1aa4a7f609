/** The module-wide default timeout, as Python's getdefaulttimeout/setdefaulttimeout. */
let defaultTimeout: number | null = null;

/** Seconds new sockets start with; null means blocking. */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/** Sets the timeout new sockets start with (accepted ones too); null means blocking. */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout);
}

/** A timeout as Python takes it: null, or a finite number of seconds, at least 0. */
export function checkTimeout(timeout: unknown): number | null {
  if (timeout === null) return null;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError("timeout must be a number of seconds or null");
  }
  if (timeout < 0 || !Number.isFinite(timeout)) throw new RangeError("Timeout value out of range");
  return timeout;
}

/**
 * Linux abstract AF_UNIX names ("\0name") on Node: which ones Node can bind and dial
 * exactly, and autobind (Python's `bind("")`), which Node cannot ask the kernel for.
 *
 * An abstract name is its exact bytes, length included: "\0name" and "\0name\0\0" are two
 * different names. libuv before 1.48 (all of Node 20) binds and dials every abstract name
 * with the whole of sun_path, NUL-padded to 108 bytes, so "\0name" on Node 20 is a name
 * no other program uses (Python's "\0name" is 5 bytes). Only a name that is already 108
 * bytes long comes out exact there; hotline refuses the others rather than bind or dial
 * a name nobody else can reach. Node 22 and later pass the exact length.
 */
import { randomInt } from "node:crypto";
import { platform } from "node:os";
import { versions } from "node:process";
import { formatAddress, isAbstractName, UNIX_ABSTRACT_MAX } from "../address.js";
import { oserror } from "../errors.js";

/** True when this Node's libuv binds and dials abstract names with their exact length (1.48 and later). */
export const EXACT_ABSTRACT_NAMES = libuvAtLeast(versions.uv ?? "0.0.0", 1, 48);

function libuvAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split(".").map(Number);
  return a > major || (a === major && b >= minor);
}

/** Fails with EOPNOTSUPP for an abstract name this Node would bind or dial padded, as another name. */
export function checkAbstractName(path: string): void {
  if (!isAbstractName(path) || EXACT_ABSTRACT_NAMES) return;
  if (Buffer.byteLength(path) === UNIX_ABSTRACT_MAX) return;
  throw oserror(
    "EOPNOTSUPP",
    `abstract name ${formatAddress(path)}: Node ${versions.node} (libuv ${versions.uv}) pads abstract names to ` +
      `${UNIX_ABSTRACT_MAX} bytes, which makes them different names; use Node 22 or later, or a name of exactly ` +
      `${UNIX_ABSTRACT_MAX} bytes`,
  );
}

/**
 * A name for autobind, as Linux picks one: "\0" and five lowercase hex digits. Node cannot
 * ask the kernel to choose (libuv has no empty bind), so hotline chooses at random and
 * binds it; the caller tries another name if it is taken. EOPNOTSUPP where abstract names
 * are not available as they are (not Linux, or Node 20).
 */
export function autobindName(): string {
  if (platform() !== "linux") {
    throw oserror("EOPNOTSUPP", `bind(""): autobind gives an abstract name, which exists on Linux only`);
  }
  if (!EXACT_ABSTRACT_NAMES) {
    throw oserror(
      "EOPNOTSUPP",
      `bind(""): autobind needs abstract names of 6 bytes, which Node ${versions.node} (libuv ${versions.uv}) ` +
        `cannot bind; use Node 22 or later, or bind a path`,
    );
  }
  return `\0${randomInt(0x100000).toString(16).padStart(5, "0")}`;
}

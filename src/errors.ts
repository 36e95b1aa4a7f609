/**
 * Python's socket errors: OSError with a positive errno, code, strerror and the
 * `[Errno N] text` message, its PEP 3151 subclasses, and gaierror for name resolution.
 *
 * One table (CODES) says, for every errno hotline can raise, its Linux number, its C
 * library text and its class. `oserror()` turns a code into the right subclass and
 * `fromNodeError()` maps whatever Node threw.
 */
import { constants } from "node:os";

type ErrorClass = new (code: string, detail?: string, options?: ErrorOptions) => OSError;

/** The errno of `code` on this platform (Node's table), or Linux's where Node has none. */
function errnoOf(code: string, linux: number): number {
  return (constants.errno as Record<string, number | undefined>)[code] ?? linux;
}

export class OSError extends Error {
  /** Positive errno of this platform, as Python's `e.errno`. */
  readonly errno: number;
  /** Symbolic name, such as `"ECONNREFUSED"`. Assert on this, never on the message. */
  readonly code: string;
  /** The C library's text for the errno, as Python's `e.strerror`. */
  readonly strerror: string;

  constructor(code: string, detail?: string, options?: ErrorOptions) {
    const [errno, strerror] = describe(code);
    super(`[Errno ${errno}] ${strerror}${detail ? `: ${detail}` : ""}`, options);
    this.errno = errno;
    this.code = code;
    this.strerror = strerror;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

export class BlockingIOError extends OSError {}
export class ConnectionError extends OSError {}
export class BrokenPipeError extends ConnectionError {}
export class ConnectionAbortedError extends ConnectionError {}
export class ConnectionRefusedError extends ConnectionError {}
export class ConnectionResetError extends ConnectionError {}
export class FileExistsError extends OSError {}
export class FileNotFoundError extends OSError {}
export class InterruptedError extends OSError {}
export class IsADirectoryError extends OSError {}
export class NotADirectoryError extends OSError {}
export class PermissionError extends OSError {}

/**
 * A socket operation ran out of time. Like Python's `socket.timeout`, its message is just
 * "timed out"; its code is ETIMEDOUT.
 */
export class TimeoutError extends OSError {
  constructor(code = "ETIMEDOUT", detail?: string, options?: ErrorOptions) {
    super(code, detail, options);
    this.message = detail ? `timed out: ${detail}` : "timed out";
  }
}

/** Name resolution failed; `errno` is the negative EAI_* number, as in Python. */
export class gaierror extends OSError {}

interface Entry {
  errno: number;
  text: string;
  cls: ErrorClass;
}

const e = (errno: number, text: string, cls: ErrorClass = OSError): Entry => ({ errno, text, cls });

/** Every errno hotline raises: Linux number, glibc text, Python class. */
const CODES: Record<string, Entry | undefined> = {
  EPERM: e(1, "Operation not permitted", PermissionError),
  ENOENT: e(2, "No such file or directory", FileNotFoundError),
  EINTR: e(4, "Interrupted system call", InterruptedError),
  EIO: e(5, "Input/output error"),
  EBADF: e(9, "Bad file descriptor"),
  EAGAIN: e(11, "Resource temporarily unavailable", BlockingIOError),
  ENOMEM: e(12, "Cannot allocate memory"),
  EBUSY: e(16, "Device or resource busy"),
  EACCES: e(13, "Permission denied", PermissionError),
  EEXIST: e(17, "File exists", FileExistsError),
  ENOTDIR: e(20, "Not a directory", NotADirectoryError),
  EISDIR: e(21, "Is a directory", IsADirectoryError),
  EINVAL: e(22, "Invalid argument"),
  ENFILE: e(23, "Too many open files in system"),
  EMFILE: e(24, "Too many open files"),
  ENOSPC: e(28, "No space left on device"),
  EPIPE: e(32, "Broken pipe", BrokenPipeError),
  ENAMETOOLONG: e(36, "File name too long"),
  ENOTSOCK: e(88, "Socket operation on non-socket"),
  EDESTADDRREQ: e(89, "Destination address required"),
  EMSGSIZE: e(90, "Message too long"),
  EPROTOTYPE: e(91, "Protocol wrong type for socket"),
  ENOPROTOOPT: e(92, "Protocol not available"),
  EPROTONOSUPPORT: e(93, "Protocol not supported"),
  ESOCKTNOSUPPORT: e(94, "Socket type not supported"),
  EOPNOTSUPP: e(95, "Operation not supported"),
  EAFNOSUPPORT: e(97, "Address family not supported by protocol"),
  EADDRINUSE: e(98, "Address already in use"),
  EADDRNOTAVAIL: e(99, "Cannot assign requested address"),
  ENETDOWN: e(100, "Network is down"),
  ENETUNREACH: e(101, "Network is unreachable"),
  ECONNABORTED: e(103, "Software caused connection abort", ConnectionAbortedError),
  ECONNRESET: e(104, "Connection reset by peer", ConnectionResetError),
  ENOBUFS: e(105, "No buffer space available"),
  EISCONN: e(106, "Transport endpoint is already connected"),
  ENOTCONN: e(107, "Transport endpoint is not connected"),
  ESHUTDOWN: e(108, "Cannot send after transport endpoint shutdown", BrokenPipeError),
  ETIMEDOUT: e(110, "Connection timed out", TimeoutError),
  ECONNREFUSED: e(111, "Connection refused", ConnectionRefusedError),
  EHOSTDOWN: e(112, "Host is down"),
  EHOSTUNREACH: e(113, "No route to host"),
  EALREADY: e(114, "Operation already in progress", BlockingIOError),
  EINPROGRESS: e(115, "Operation now in progress", BlockingIOError),
};

/** glibc's getaddrinfo() errors: negative numbers, as Python's gaierror carries them. */
const EAI: Record<string, readonly [number, string] | undefined> = {
  EAI_BADFLAGS: [-1, "Bad value for ai_flags"],
  EAI_NONAME: [-2, "Name or service not known"],
  EAI_AGAIN: [-3, "Temporary failure in name resolution"],
  EAI_FAIL: [-4, "Non-recoverable failure in name resolution"],
  EAI_NODATA: [-5, "No address associated with hostname"],
  EAI_FAMILY: [-6, "ai_family not supported"],
  EAI_SOCKTYPE: [-7, "ai_socktype not supported"],
  EAI_SERVICE: [-8, "Servname not supported for ai_socktype"],
  EAI_ADDRFAMILY: [-9, "Address family for hostname not supported"],
};

/** [errno, text] for an errno name or an EAI_* name; unknown names read as EIO. */
function describe(code: string): readonly [number, string] {
  const gai = EAI[code];
  if (gai) return gai;
  const entry = CODES[code] ?? CODES.EIO;
  return entry ? [errnoOf(code, entry.errno), entry.text] : [5, "Input/output error"];
}

/** The OSError subclass Python would raise for `code`, with an optional detail. */
export function oserror(code: string, detail?: string, cause?: unknown): OSError {
  const cls = CODES[code]?.cls ?? OSError;
  return new cls(code, detail, cause === undefined ? undefined : { cause });
}

/** Node's own error codes that stand for an errno. */
const NODE_CODES: Record<string, string | undefined> = {
  ERR_STREAM_DESTROYED: "EPIPE",
  ERR_STREAM_WRITE_AFTER_END: "EPIPE",
  ERR_SOCKET_CLOSED: "EBADF",
  ERR_SOCKET_DGRAM_NOT_RUNNING: "EBADF",
  ERR_SOCKET_DGRAM_IS_CONNECTED: "EISCONN",
  ERR_SOCKET_DGRAM_NOT_CONNECTED: "EDESTADDRREQ",
  ENOTFOUND: "EAI_NONAME",
  ENODATA: "EAI_NODATA",
  ESERVFAIL: "EAI_FAIL",
};

/**
 * Maps anything Node threw or emitted to an OSError. OSErrors pass through unchanged;
 * resolver failures become gaierror; unknown codes become EIO with the original as cause.
 */
export function fromNodeError(err: unknown, detail?: string): OSError {
  if (err instanceof OSError) return err;
  const raw = (err as { code?: unknown } | null)?.code;
  const given = typeof raw === "string" ? raw : "EIO";
  const code = NODE_CODES[given] ?? given;
  if (code.startsWith("EAI_")) return new gaierror(code, detail, { cause: err });
  return oserror(code in CODES ? code : "EIO", detail, err);
}

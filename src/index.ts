/**
 * hotline: Python's socket module for TypeScript on Node.js.
 *
 *   import * as socket from "hotline";
 *   const s = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
 *
 * This is the library's only entry point; every export is listed by name.
 */
export type { Address, AddressInput, Inet4Address, Inet6Address, UnixAddress } from "./address.js";
export { formatAddress, parsePort, UNIX_PATH_MAX } from "./address.js";
export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  AF_UNSPEC,
  AI_ADDRCONFIG,
  AI_ALL,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  AI_V4MAPPED,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_WAITALL,
  SHUT_RD,
  SHUT_RDWR,
  SHUT_WR,
  SO_BROADCAST,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_RDM,
  SOCK_SEQPACKET,
  SOCK_STREAM,
  SOL_SOCKET,
  SOMAXCONN,
  TCP_KEEPIDLE,
  TCP_NODELAY,
} from "./constants.js";
export {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  gaierror,
  InterruptedError,
  IsADirectoryError,
  NotADirectoryError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.js";
export { CrlfEncoder } from "./framing/crlf.js";
export { HexDumper } from "./framing/hex-dump.js";
export { LineSplitter } from "./framing/line-splitter.js";
export { escapeControls } from "./framing/terminal-text.js";
export { Utf8Decoder } from "./framing/utf8-decoder.js";
export { getdefaulttimeout, setdefaulttimeout } from "./socket/defaults.js";
export type { CreateConnectionOptions, CreateServerOptions } from "./socket/functions.js";
export { createConnection, createServer, socketpair } from "./socket/functions.js";
export type { AddrInfo } from "./socket/resolve.js";
export { getaddrinfo, getfqdn, gethostbyname, gethostname } from "./socket/resolve.js";
export type { SendfileOptions, SendfileSource } from "./socket/sendfile.js";
export type { Bytes, SocketOptionValue } from "./socket/socket.js";
export { Socket, socket } from "./socket/socket.js";
export type { Newline, SocketFileOptions } from "./socket/socket-file.js";
export { SocketFile } from "./socket/socket-file.js";

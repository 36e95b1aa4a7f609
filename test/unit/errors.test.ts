/**
 * The error table: each errno maps to Python's class with Python's message, and whatever
 * Node throws is mapped to it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fromNodeError, oserror } from "../../src/errors.js";
import * as socket from "../../src/index.js";

const CLASSES: [string, number, string, new (...args: never[]) => socket.OSError][] = [
  ["ECONNREFUSED", 111, "Connection refused", socket.ConnectionRefusedError],
  ["ECONNRESET", 104, "Connection reset by peer", socket.ConnectionResetError],
  ["EPIPE", 32, "Broken pipe", socket.BrokenPipeError],
  ["ESHUTDOWN", 108, "Cannot send after transport endpoint shutdown", socket.BrokenPipeError],
  ["ECONNABORTED", 103, "Software caused connection abort", socket.ConnectionAbortedError],
  ["ETIMEDOUT", 110, "Connection timed out", socket.TimeoutError],
  ["EAGAIN", 11, "Resource temporarily unavailable", socket.BlockingIOError],
  ["EINPROGRESS", 115, "Operation now in progress", socket.BlockingIOError],
  ["EALREADY", 114, "Operation already in progress", socket.BlockingIOError],
  ["ENOENT", 2, "No such file or directory", socket.FileNotFoundError],
  ["EEXIST", 17, "File exists", socket.FileExistsError],
  ["EACCES", 13, "Permission denied", socket.PermissionError],
  ["EPERM", 1, "Operation not permitted", socket.PermissionError],
  ["EINTR", 4, "Interrupted system call", socket.InterruptedError],
  ["EISDIR", 21, "Is a directory", socket.IsADirectoryError],
  ["ENOTDIR", 20, "Not a directory", socket.NotADirectoryError],
  ["EADDRINUSE", 98, "Address already in use", socket.OSError],
  ["EADDRNOTAVAIL", 99, "Cannot assign requested address", socket.OSError],
  ["EBADF", 9, "Bad file descriptor", socket.OSError],
  ["EMSGSIZE", 90, "Message too long", socket.OSError],
  ["EMFILE", 24, "Too many open files", socket.OSError],
  ["ENFILE", 23, "Too many open files in system", socket.OSError],
  ["ENOBUFS", 105, "No buffer space available", socket.OSError],
  ["ENOMEM", 12, "Cannot allocate memory", socket.OSError],
];

for (const [code, errno, text, cls] of CLASSES) {
  test(`${code} is ${cls.name} [Errno ${errno}] ${text}`, () => {
    const nodeError = Object.assign(new Error(`connect ${code}`), { code, errno: -errno, syscall: "connect" });
    const err = fromNodeError(nodeError);
    assert.ok(err instanceof cls, `${err.name} is not ${cls.name}`);
    assert.ok(err instanceof socket.OSError && err instanceof Error);
    assert.equal(err.errno, errno);
    assert.equal(err.code, code);
    assert.equal(err.strerror, text);
    assert.equal(err.name, code === "ETIMEDOUT" ? "TimeoutError" : cls.name);
    assert.equal(err.cause, nodeError);
    if (code !== "ETIMEDOUT") assert.equal(err.message, `[Errno ${errno}] ${text}`);
  });
}

test("connection errors share ConnectionError, as in Python", () => {
  for (const code of ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED"]) {
    assert.ok(oserror(code) instanceof socket.ConnectionError, code);
  }
  assert.ok(!(oserror("ETIMEDOUT") instanceof socket.ConnectionError));
});

test("a timeout reads 'timed out', as Python's socket.timeout", () => {
  const err = new socket.TimeoutError();
  assert.equal(err.message, "timed out");
  assert.equal(err.code, "ETIMEDOUT");
  assert.equal(String(err), "TimeoutError: timed out");
});

test("a detail follows the strerror", () => {
  assert.equal(oserror("ECONNREFUSED", "127.0.0.1:9").message, "[Errno 111] Connection refused: 127.0.0.1:9");
});

test("Node's own codes map to the errno they stand for", () => {
  assert.equal(fromNodeError({ code: "ERR_STREAM_DESTROYED" }).code, "EPIPE");
  assert.equal(fromNodeError({ code: "ERR_SOCKET_DGRAM_IS_CONNECTED" }).code, "EISCONN");
  const unknown = fromNodeError(new Error("something else"));
  assert.equal(unknown.code, "EIO");
  assert.equal(unknown.errno, 5);
});

test("resolver failures become gaierror with glibc's negative numbers", () => {
  const err = fromNodeError({ code: "ENOTFOUND" }, "nowhere.invalid");
  assert.ok(err instanceof socket.gaierror);
  assert.equal(err.errno, -2);
  assert.equal(err.code, "EAI_NONAME");
  assert.equal(err.message, "[Errno -2] Name or service not known: nowhere.invalid");
  assert.equal(fromNodeError({ code: "EAI_AGAIN" }).errno, -3);
});

/** One reading of conference commands for the -k switchboard and the chat room. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isCommand, msgArgs, splitFirst } from "../../src/cli/topologies/conference-command.js";

test("a line starting with / is a command; //text is words", () => {
  assert.equal(isCommand("/who"), true);
  assert.equal(isCommand("/"), true);
  assert.equal(isCommand("//who"), false);
  assert.equal(isCommand(" /who"), false);
  assert.equal(isCommand("who"), false);
});

test("a command is its word and the rest after the first blank", () => {
  assert.deepEqual(splitFirst("/nick bob"), ["/nick", "bob"]);
  assert.deepEqual(splitFirst("/who"), ["/who", ""]);
  assert.deepEqual(splitFirst("/to\t 2"), ["/to", " 2"]);
});

test("/msg's rest: blanks before TO skipped, the text after one blank kept as it is, null with no text", () => {
  assert.deepEqual(msgArgs("bob hi there "), { to: "bob", text: "hi there " });
  assert.deepEqual(msgArgs("  #2  two blanks"), { to: "#2", text: " two blanks" });
  assert.deepEqual(msgArgs("2 "), { to: "2", text: "" });
  assert.deepEqual(msgArgs("2"), { to: "2", text: null });
  assert.deepEqual(msgArgs(""), { to: "", text: null });
});

/** The conference list shared by the -k switchboard and the chat room: numbers never reused, lookup, names. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Roster } from "../../src/cli/topologies/roster.js";

test("numbers count up from 1 and are never reused; one below the next that is gone has left", () => {
  const roster = new Roster<string>();
  const me = roster.add("listener", true);
  const a = roster.add("a");
  const b = roster.add("b");
  assert.deepEqual([me.id, a.id, b.id], [0, 1, 2]);
  assert.equal(roster.delete(a.id), true);
  assert.equal(roster.delete(a.id), false);
  const c = roster.add("c");
  assert.equal(c.id, 3, "a newcomer never takes a number that was someone else's");
  assert.equal(roster.hasLeft(1), true);
  assert.equal(roster.hasLeft(2), false);
  assert.equal(roster.hasLeft(4), false, "never on the list is not 'has left'");
  assert.equal(roster.hasLeft(0), false);
  assert.deepEqual([...roster.values()], ["listener", "b", "c"]);
});

test("find by number, #number or name in any case; rename by the chat's rules", () => {
  const roster = new Roster<string>();
  const a = roster.add("a");
  const b = roster.add("b");
  assert.equal(roster.find("1"), a);
  assert.equal(roster.find("#2"), b);
  assert.equal(roster.find("USER2"), b);
  assert.equal(roster.find("7"), null);
  assert.equal(roster.rename(a, "alice"), null);
  assert.equal(roster.find("Alice"), a);
  assert.match(roster.rename(b, "ALICE") ?? "", /taken/);
  assert.equal(b.name, "user2", "a refused name changes nothing");
  assert.equal(roster.rename(a, "Alice"), null, "a member may change the case of its own name");
});

test("a name is free again once its member renamed or left; the kept keys follow every change", () => {
  const roster = new Roster<string>();
  const a = roster.add("a");
  const b = roster.add("b");
  assert.equal(roster.rename(a, "alice"), null);
  assert.equal(roster.rename(a, "ann"), null);
  assert.equal(roster.rename(b, "aIice"), null, "alice was given up by its member");
  assert.match(roster.rename(a, "alice") ?? "", /taken/, "now b holds it, in its look");
  roster.delete(b.id);
  assert.equal(roster.rename(a, "alice"), null, "b left: free");
  roster.clear();
  const c = roster.add("c");
  assert.equal(roster.rename(c, "alice"), null, "cleared: free");
});

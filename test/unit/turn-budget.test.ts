/**
 * The broker's reading per turn of the event loop: free under the budget; once it is spent,
 * a promise that settles at the next turn (the same one for every sender), with a fresh budget.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { TurnBudget } from "../../src/cli/topologies/turn-budget.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test("under the budget nothing waits; past it, every sender waits for the next turn, which starts afresh", async () => {
  const turn = new TurnBudget(1000);
  assert.equal(turn.spend(600), undefined);
  const first = turn.spend(600); // 1200: this chunk is through, the next read waits
  assert.ok(first instanceof Promise);
  assert.equal(turn.spend(10), first, "another sender waits for the same turn");
  let settled = false;
  void first.then(() => {
    settled = true;
  });
  await Promise.resolve();
  assert.equal(settled, false, "not within this turn");
  await nextTurn();
  assert.equal(settled, true);
  assert.equal(turn.spend(999), undefined, "a fresh budget");
});

test("a budget not spent is not carried over: each turn counts only its own reads", async () => {
  const turn = new TurnBudget(1000);
  for (let i = 0; i < 5; i++) {
    assert.equal(turn.spend(900), undefined, `turn ${i}`);
    await nextTurn();
  }
});

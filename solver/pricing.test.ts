// The pricing rule: floor = steps * minWeiPerStep; first come iff escrow >= floor; auctions open at
// openingBidBps of the escrow, undercut a competitor by undercutBps (at least 1 wei), never below the floor.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decidePrice } from "./pricing.ts";

const rule = { minWeiPerStep: 1_000n, openingBidBps: 9_000, undercutBps: 100 };
const view = (o: Partial<Parameters<typeof decidePrice>[1]> = {}) => ({ firstCome: false, steps: 100n, escrow: 1_000_000n, hasBid: false, bestPrice: 0n, bestIsMine: false, ...o });

describe("pricing rule", () => {
  it("takes first-come jobs at the escrow iff it covers the floor", () => {
    assert.deepEqual(decidePrice(rule, view({ firstCome: true })), { kind: "take", price: 1_000_000n });
    assert.deepEqual(decidePrice(rule, view({ firstCome: true, escrow: 100_000n })), { kind: "take", price: 100_000n });
    const d = decidePrice(rule, view({ firstCome: true, escrow: 99_999n }));
    assert.equal(d.kind, "decline");
    assert.match((d as { reason: string }).reason, /below the floor 100000 wei \(100 steps at 1000 wei\/step\)/);
  });

  it("opens auctions at openingBidBps of the escrow, not below the floor", () => {
    assert.deepEqual(decidePrice(rule, view()), { kind: "bid", price: 900_000n });
    assert.deepEqual(decidePrice({ ...rule, openingBidBps: 1 }, view()), { kind: "bid", price: 100_000n });
  });

  it("undercuts a competitor by undercutBps (at least 1 wei) down to the floor, holds its own best bid", () => {
    assert.deepEqual(decidePrice(rule, view({ hasBid: true, bestPrice: 500_000n })), { kind: "bid", price: 495_000n });
    assert.deepEqual(decidePrice({ ...rule, undercutBps: 0 }, view({ hasBid: true, bestPrice: 500_000n })), { kind: "bid", price: 499_999n });
    assert.deepEqual(decidePrice(rule, view({ hasBid: true, bestPrice: 100_500n })), { kind: "bid", price: 100_000n });
    assert.equal(decidePrice(rule, view({ hasBid: true, bestPrice: 100_000n })).kind, "decline");
    assert.deepEqual(decidePrice(rule, view({ hasBid: true, bestPrice: 500_000n, bestIsMine: true })), { kind: "hold" });
  });
});

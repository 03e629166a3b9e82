import type { PricingRule } from "./config.ts";

/**
 * The pricing rule as a pure decision. Floor = steps * minWeiPerStep. First-come jobs pay the escrow: taken
 * iff escrow >= floor. Auctions: without a bid, open at openingBidBps of the escrow; against a competing best
 * bid, undercut it by undercutBps (at least 1 wei, as the market needs strictly lower bids), never below the
 * floor; when we already hold the best bid, wait.
 */
export type PriceDecision =
  | { readonly kind: "take"; readonly price: bigint }
  | { readonly kind: "bid"; readonly price: bigint }
  | { readonly kind: "hold" }
  | { readonly kind: "decline"; readonly reason: string };

export interface MarketView {
  readonly firstCome: boolean;
  readonly steps: bigint;
  readonly escrow: bigint;
  readonly hasBid: boolean;
  /** Best bid so far (only with hasBid). */
  readonly bestPrice: bigint;
  /** Whether the best bid is ours. */
  readonly bestIsMine: boolean;
}

export function floorPrice(rule: PricingRule, steps: bigint): bigint {
  return rule.minWeiPerStep * steps;
}

export function decidePrice(rule: PricingRule, m: MarketView): PriceDecision {
  const floor = floorPrice(rule, m.steps);
  if (m.escrow < floor) return { kind: "decline", reason: `escrow ${m.escrow} wei is below the floor ${floor} wei (${m.steps} steps at ${rule.minWeiPerStep} wei/step)` };
  if (m.firstCome) return { kind: "take", price: m.escrow };
  if (m.hasBid && m.bestIsMine) return { kind: "hold" };
  if (!m.hasBid) {
    const opening = (m.escrow * BigInt(rule.openingBidBps)) / 10_000n;
    return { kind: "bid", price: opening > floor ? opening : floor };
  }
  const cut = (m.bestPrice * BigInt(rule.undercutBps)) / 10_000n;
  let price = m.bestPrice - (cut > 0n ? cut : 1n);
  if (price < floor) price = floor;
  if (price >= m.bestPrice) return { kind: "decline", reason: `the best bid ${m.bestPrice} wei is at or below our floor ${floor} wei` };
  return { kind: "bid", price };
}

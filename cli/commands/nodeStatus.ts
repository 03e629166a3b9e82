import type { NodeConfig } from "../../node/config.ts";
import type { NodeDb } from "../../node/db.ts";
import { accountOf, pullBalance } from "../../node/status.ts";

/**
 * `solver status` and `verifier status`: the role's status from its database (closed after), with the pull
 * balance from the chain when `--chain` is given; JSON or text on stdout.
 */
export async function printNodeStatus<D extends NodeDb, S>(
  cfg: NodeConfig, db: D, f: { json?: boolean; chain?: boolean },
  status: (db: D, pullBalanceWei: bigint | null) => S, format: (s: S) => string,
): Promise<void> {
  let s: S;
  try {
    const account = accountOf(db.identity() ?? null);
    const balance = f.chain && account ? await pullBalance(cfg.rpcUrl, cfg.market, account) : null;
    s = status(db, balance);
  } finally {
    db.close();
  }
  process.stdout.write(f.json ? JSON.stringify(s) + "\n" : format(s));
}

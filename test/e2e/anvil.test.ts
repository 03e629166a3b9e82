// The full honest-and-cheating run (helpers/honestAndCheatingRun.ts: an honest job paid, a cheating solver
// caught by the verifier and its dispute settled, a lying verifier slashed, nodes killed and restarted
// mid-dispute, exact credits and balances, the market empty) on Foundry's anvil, a second EVM implementation
// beside Hardhat's (test/e2e/disputeRestart.test.ts). Skipped, saying so, where anvil is not installed.
import { anvilBinary } from "../../chain/anvil.ts";
import { describeHonestAndCheatingRun } from "./helpers/honestAndCheatingRun.ts";

describeHonestAndCheatingRun("anvil", anvilBinary() ? undefined : "anvil is not installed (npm package @foundry-rs/anvil-linux-amd64, or an anvil on PATH): the anvil run cannot be made here");

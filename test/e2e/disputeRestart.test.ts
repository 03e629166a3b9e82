// Nodes killed and restarted mid-dispute (multi-process, real local Hardhat node): a verifier process is
// SIGKILLed while it plays the game against a cheating solver and started again on the same data dir: it picks
// the game up from the chain and still wins (the job fails, its bond and reward withdrawn). A solver process
// is SIGKILLed while it defends a correct result against a lying verifier and started again: it still wins,
// finalizes after the window and is paid. Exact pull credits and ether; the market holds nothing at the end.
// The run itself is shared with test/e2e/anvil.test.ts (helpers/honestAndCheatingRun.ts).
import { describeHonestAndCheatingRun } from "./helpers/honestAndCheatingRun.ts";

describeHonestAndCheatingRun("hardhat");

import type { NodeContext } from "../node/context.ts";
import type { VerifierConfig } from "./config.ts";
import type { VerifierDb } from "./db.ts";

/**
 * What the verifier's modules share (wired once by verifier/node.ts): the node's; its store holds verified
 * checkpoint states only (each stored once its root equals a committed one, or as computed).
 */
export type VerifierContext = NodeContext<VerifierConfig, VerifierDb>;

import type { Root } from "../core/root.ts";

/**
 * Where a solver serves checkpoint `root`: its model URI is `<base>/state/<final root>` (solver/server.ts),
 * and every other committed checkpoint is `<base>/state/<root>` on the same server. Undefined when the model
 * URI is not a state server's (a file:// model, another host's layout): there is then no checkpoint
 * to fetch. The verifier and the explorer read checkpoints by it.
 */
export function checkpointStateUrl(modelURI: string | null, root: Root): string | undefined {
  const m = modelURI ? /^(https?:\/\/.+)\/state\/[0-9a-fA-F]{64}$/.exec(modelURI) : null;
  return m ? `${m[1]}/state/${root.slice(2).toLowerCase()}` : undefined;
}

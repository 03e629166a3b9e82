import type { Root } from "../core/root.ts";

/**
 * Where a solver serves checkpoint `root`: its model URI is `<base>/state/<final root>` (solver/server.ts),
 * and every other committed checkpoint is `<base>/state/<root>` on the same server. Undefined when the model
 * URI is not a state server's (a file:// model, another host's layout): the explorer then has no checkpoint
 * to fetch. (The verifier reads the same layout: verifier/checkpointState.ts.)
 */
export function checkpointStateUrl(modelURI: string, root: Root): string | undefined {
  const m = /^(https?:\/\/.+)\/state\/[0-9a-fA-F]{64}$/.exec(modelURI);
  return m ? `${m[1]}/state/${root.slice(2).toLowerCase()}` : undefined;
}

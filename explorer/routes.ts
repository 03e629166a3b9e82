import type { Explorer } from "./explorer.ts";

/**
 * The explorer's JSON API (GET only), as a pure router from a path to a status and a body:
 *   /api/network        the network view (explorer/views.ts NetworkView)
 *   /api/jobs/<id>      one job (JobView): 400 for an id that is not a positive integer, 404 for an unknown job
 *   /api/games/<id>     one dispute game (GameViewJson): same rules
 * Anything else under /api/ is a 404. Bodies are JSON; errors are `{"error": "..."}` naming the problem.
 */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

const MAX_ID = 2n ** 64n;

/** A job or game id from a path segment, or the reason it is not one. */
export function parseId(what: "job" | "game", raw: string): bigint | string {
  let s = raw;
  try {
    s = decodeURIComponent(raw);
  } catch {
    // left as is: reported below
  }
  const shown = JSON.stringify(s.slice(0, 80));
  if (!/^[0-9]{1,20}$/.test(s)) return `${what} id must be a positive integer, got ${shown}`;
  const id = BigInt(s);
  if (id < 1n || id >= MAX_ID) return `${what} id must be in [1, 2^64), got ${shown}`;
  return id;
}

export function route(x: Pick<Explorer, "network" | "job" | "game" | "lastError">, path: string): ApiAnswer {
  if (path === "/api/network") return { status: 200, body: { ...x.network(), ...(x.lastError ? { lastError: x.lastError } : {}) } };
  const m = /^\/api\/(jobs|games)\/([^/]*)$/.exec(path);
  if (!m) return { status: 404, body: { error: `no such API route: ${path.slice(0, 200)} (routes: /api/network, /api/jobs/<id>, /api/games/<id>, /api/events)` } };
  const what = m[1] === "jobs" ? "job" : "game";
  const id = parseId(what, m[2]!);
  if (typeof id === "string") return { status: 400, body: { error: id } };
  const view = what === "job" ? x.job(id) : x.game(id);
  if (view === undefined) return { status: 404, body: { error: `${what} ${id} is not on this market (or not indexed yet)` } };
  return { status: 200, body: view };
}

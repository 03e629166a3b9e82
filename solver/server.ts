import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { bareHex, toRoot } from "../core/root.ts";
import { listen, type NodeEndpoints, serveNodeEndpoints } from "../node/httpServer.ts";
import { rootHexProblem, type StateStore } from "../node/store.ts";

/**
 * The solver's content-addressed HTTP server over its checkpoint store (node:http, no framework):
 *
 *   GET|HEAD /state/<root>   the state file whose state root is <root> (64 lowercase hex digits, no 0x);
 *                            ETag "<root>", immutable; single byte ranges (`bytes=a-b`, `bytes=a-`, `bytes=-n`)
 *                            answer 206 with Content-Range; an unsatisfiable range, a range with a > b or a
 *                            multi-range request answers 416 (no multipart); a Range of another unit or of
 *                            bad syntax is ignored (200, the whole file).
 *   GET|HEAD /trace/<root>   the op trace of the step starting from the stored state <root> (JSON: records,
 *                            trace root, anchors), and /batch/<root> that step's batch with a dataset opening
 *                            per example (solver/traceSource.ts); same ETag/range rules, 404 for a root that
 *                            is not a stored non-final checkpoint
 *   GET|HEAD /status         the node's jobs (when the node gives a status function)
 *   GET|HEAD /health         200 {"ok":true}, with the node's latest block and waits when it gives endpoints
 *   GET|HEAD /metrics        Prometheus text (node/metrics.ts), when the node gives endpoints
 *
 * Errors are JSON `{"error": "..."}`: 400 malformed root, 404 unknown root or path, 405 other methods (with
 * Allow), 414 a URL longer than 2048 characters, 431 oversized headers (node's limit), 400 unparsable requests.
 * The root is validated and mapped to the store's own file name (`store.pathOf`); no request path is ever
 * joined to a file system path. Bytes are served as stored: the receiver verifies them against a committed root.
 */
export interface StoreServerOptions {
  readonly store: StateStore;
  /** Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly log?: Logger;
  /** Test-only (a withholding adversary, solver/adversary.ts): every state and derived document is a 404. */
  readonly withhold?: boolean;
  /** GET /status: this JSON (the node's jobs), when given. */
  readonly status?: () => unknown;
  /** GET /trace/<root> and /batch/<root>, when given (solver/traceSource.ts). */
  readonly derived?: DerivedSource;
  /** GET /health and /metrics of the node (node/httpServer.ts), when given. */
  readonly endpoints?: NodeEndpoints;
}

/** Files derived from a stored state, produced on first request: a path, or why there is none (a 404). */
export interface DerivedSource {
  file(kind: "trace" | "batch", hex: string): Promise<{ path: string } | { missing: string }>;
}

export interface StoreServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The URL of the state with this root (a Root, or hex of either case with or without 0x). */
  stateUrl(root: string): string;
  close(): Promise<void>;
}

const MAX_URL = 2048;

type Range = { start: number; end: number } | "unsatisfiable" | undefined;

/** Parses a Range header against a file of `size` bytes: one range, undefined when absent or ignorable. */
export function parseRange(header: string | undefined, size: number): Range {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return undefined; // another unit: ignored
  const spec = m[1]!.trim();
  if (spec.includes(",")) return "unsatisfiable"; // multiple ranges: not supported (documented)
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!r || (r[1] === "" && r[2] === "")) return undefined; // bad syntax: ignored
  if (r[1] === "") {
    const n = Number(r[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  const end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || Number(r[2] === "" ? start : r[2]) < start) return "unsatisfiable";
  return { start, end };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body) + "\n";
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store", ...headers });
  res.end(res.req.method === "HEAD" ? undefined : text);
}

async function serveState(req: IncomingMessage, res: ServerResponse, store: StateStore, hex: string): Promise<void> {
  const problem = rootHexProblem(hex);
  if (problem) return sendJson(res, 400, { error: `malformed state root: ${problem}` });
  const root = toRoot(hex);
  return serveFile(req, res, store.pathOf(root), `"${hex}"`, "application/octet-stream", `no state with root ${root} in this store`);
}

/** /trace/<root> and /batch/<root>: derived documents of the step that starts from a stored state. */
async function serveDerived(req: IncomingMessage, res: ServerResponse, source: DerivedSource, kind: "trace" | "batch", hex: string): Promise<void> {
  const problem = rootHexProblem(hex);
  if (problem) return sendJson(res, 400, { error: `malformed state root: ${problem}` });
  const r = await source.file(kind, hex);
  if ("missing" in r) return sendJson(res, 404, { error: r.missing });
  return serveFile(req, res, r.path, `"${kind}-${hex}"`, "application/json", `no ${kind} for the state 0x${hex}`);
}

async function serveFile(req: IncomingMessage, res: ServerResponse, file: string, etag: string, contentType: string, notFound: string): Promise<void> {
  let size: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error("not a file");
    size = st.size;
  } catch {
    return sendJson(res, 404, { error: notFound });
  }
  const base = { "Content-Type": contentType, ETag: etag, "Accept-Ranges": "bytes", "Cache-Control": "public, max-age=31536000, immutable" };
  const inm = req.headers["if-none-match"];
  if (inm !== undefined && (inm.trim() === "*" || inm.split(",").some((t) => t.trim().replace(/^W\//, "") === etag))) {
    res.writeHead(304, { ETag: etag });
    res.end();
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    return sendJson(res, 416, { error: `range ${JSON.stringify(req.headers.range)} is not satisfiable for ${size} bytes (one range only)` }, { "Content-Range": `bytes */${size}` });
  }
  const start = range?.start ?? 0, end = range?.end ?? size - 1;
  const length = size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, { ...base, "Content-Length": length, ...(range ? { "Content-Range": `bytes ${start}-${end}/${size}` } : {}) });
  if (req.method === "HEAD" || length === 0) {
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const stream = createReadStream(file, { start, end });
    stream.on("error", () => (res.destroy(), resolve()));
    res.on("close", () => (stream.destroy(), resolve()));
    stream.pipe(res);
  });
}

/** Starts the store's HTTP server (loopback by default); resolves once it listens. */
export async function startStoreServer(o: StoreServerOptions): Promise<StoreServer> {
  const host = o.host ?? "127.0.0.1";
  const log = o.log;
  const server = createServer(async (req, res) => {
    try {
      const rawUrl = req.url ?? "";
      if (rawUrl.length > MAX_URL) return sendJson(res, 414, { error: `URL longer than ${MAX_URL} characters` });
      const pathname = rawUrl.split("?")[0]!.split("#")[0]!;
      const isState = pathname.startsWith("/state/");
      const isStatus = pathname === "/status" && o.status !== undefined;
      const derived = o.derived && /^\/(trace|batch)\//.exec(pathname);
      const isMetrics = pathname === "/metrics" && o.endpoints !== undefined;
      if (!isState && !isStatus && !derived && !isMetrics && pathname !== "/health") return sendJson(res, 404, { error: `no such resource: ${JSON.stringify(pathname.slice(0, 200))} (GET /state/<root>, /trace/<root>, /batch/<root>, /status, /health or /metrics)` });
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendJson(res, 405, { error: `method ${req.method} is not allowed (GET or HEAD)` }, { Allow: "GET, HEAD" });
      }
      if (o.endpoints && (await serveNodeEndpoints(pathname, res, o.endpoints))) return;
      if (isStatus) return sendJson(res, 200, o.status!());
      if (o.withhold && (isState || derived)) return sendJson(res, 404, { error: "withheld" });
      if (derived) {
        await serveDerived(req, res, o.derived!, derived[1] as "trace" | "batch", pathname.slice(derived[0].length));
        log?.debug({ method: req.method, url: rawUrl.slice(0, 200), status: res.statusCode }, "derived request");
        return;
      }
      if (!isState) return sendJson(res, 200, { ok: true });
      await serveState(req, res, o.store, pathname.slice("/state/".length));
      log?.debug({ method: req.method, url: rawUrl.slice(0, 200), status: res.statusCode }, "store request");
    } catch (e) {
      log?.warn({ err: (e as Error).message, url: req.url?.slice(0, 200) }, "store request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    }
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ error: status === 431 ? "request headers too large" : status === 408 ? "request timeout" : "malformed HTTP request" }) + "\n";
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  const addr: AddressInfo = await listen(server, host, o.port ?? 0, "serve.port");
  const hostPart = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  const url = `http://${hostPart}:${addr.port}`;
  log?.info({ url, dir: o.store.dir }, "serving the checkpoint store");
  return {
    url, host: addr.address, port: addr.port,
    stateUrl: (root) => `${url}/state/${bareHex(toRoot(root))}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

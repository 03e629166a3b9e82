import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { VeritrainError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { NodeMetrics } from "./metrics.ts";

/**
 * What every node serves over HTTP: `GET /health` (JSON: the node is up, its latest block, what it waits on)
 * and `GET /metrics` (Prometheus text, node/metrics.ts). The solver mounts them on its store server; the
 * verifier, which serves nothing else, runs `startNodeServer`. `listen` turns a port in use into one line
 * naming the port and the config field that chose it.
 */
export class ServeError extends VeritrainError {
  override name = "ServeError";
}

export interface NodeEndpoints {
  readonly metrics: NodeMetrics;
  /** The body of /health (`ok` first). */
  health(): Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: string, contentType: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** Answers /health and /metrics; false for any other path (the caller's). */
export async function serveNodeEndpoints(pathname: string, res: ServerResponse, e: NodeEndpoints): Promise<boolean> {
  if (pathname === "/health") {
    send(res, 200, JSON.stringify(e.health()) + "\n", "application/json; charset=utf-8");
    return true;
  }
  if (pathname === "/metrics") {
    send(res, 200, await e.metrics.text(), e.metrics.contentType);
    return true;
  }
  return false;
}

/** Listens on host:port; a port in use (or not allowed) is one ServeError naming it and `field`. */
export async function listen(server: Server, host: string, port: number, field: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EADDRINUSE") reject(new ServeError(`port ${port} on ${host} is already in use (config field ${field}): another node or program listens there; choose another port, or 0 for any free one`, { host, port, field }));
      else if (e.code === "EACCES") reject(new ServeError(`no permission to listen on port ${port} on ${host} (config field ${field}): ports below 1024 need privileges; choose another`, { host, port, field }));
      else if (e.code === "EADDRNOTAVAIL" || e.code === "ENOTFOUND") reject(new ServeError(`cannot listen on ${host} (config field ${field.replace(/port$/, "host")}): not an address of this machine`, { host, port, field }));
      else reject(e);
    });
    server.listen(port, host, () => resolve());
  });
  server.removeAllListeners("error");
  return server.address() as AddressInfo;
}

export interface NodeServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A node's own HTTP server for /health and /metrics only (the verifier's). */
export async function startNodeServer(o: { host: string; port: number; field: string; endpoints: NodeEndpoints; log?: Logger }): Promise<NodeServer> {
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const pathname = (req.url ?? "").split("?")[0]!;
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, JSON.stringify({ error: `method ${req.method} is not allowed (GET or HEAD)` }) + "\n", "application/json");
      if (!(await serveNodeEndpoints(pathname, res, o.endpoints))) send(res, 404, JSON.stringify({ error: "no such resource (GET /health or /metrics)" }) + "\n", "application/json");
    } catch (e) {
      o.log?.warn({ err: (e as Error).message }, "health/metrics request failed");
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: "internal error" }) + "\n", "application/json");
    }
  });
  const addr = await listen(server, o.host, o.port, o.field);
  const url = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  return {
    url, port: addr.port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

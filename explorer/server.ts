import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { VeritrainError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import type { Explorer } from "./explorer.ts";
import { route } from "./routes.ts";

/**
 * The explorer's HTTP server (node:http, read-only, no wallet): the page (explorer/page/, plain HTML/JS/CSS),
 * uPlot from node_modules (no CDN), the JSON API (routes.ts) and /api/events, server-sent events with the
 * number of every block the explorer indexed (the page re-reads its view on each). GET and HEAD only; every
 * error is JSON; a bad request never takes the server down.
 */
export class ExplorerServerError extends VeritrainError {
  override name = "ExplorerServerError";
}

export interface ExplorerServerOptions {
  readonly explorer: Pick<Explorer, "network" | "job" | "game" | "lastError" | "onBlock">;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  readonly log?: Logger;
}

export interface ExplorerServer {
  /** e.g. http://127.0.0.1:8700 (no trailing slash). */
  readonly url: string;
  close(): Promise<void>;
}

const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "page");
const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve("uplot/dist/uPlot.iife.min.js"));

/** Every file the server serves, by URL path: nothing else on disk is reachable. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: path.join(PAGE_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/app.js": { file: path.join(PAGE_DIR, "app.js"), type: "text/javascript; charset=utf-8" },
  "/style.css": { file: path.join(PAGE_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/vendor/uPlot.iife.min.js": { file: path.join(UPLOT_DIR, "uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
  "/vendor/uPlot.min.css": { file: path.join(UPLOT_DIR, "uPlot.min.css"), type: "text/css; charset=utf-8" },
};

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, head: boolean): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.end(head ? undefined : body);
}

const json = (res: ServerResponse, status: number, body: unknown, head: boolean) =>
  send(res, status, JSON.stringify(body, (_k, v) => (typeof v === "bigint" ? v.toString() : v)), "application/json; charset=utf-8", head);

export async function startExplorerServer(o: ExplorerServerOptions): Promise<ExplorerServer> {
  const streams = new Set<ServerResponse>();
  const unsubscribe = o.explorer.onBlock((block) => {
    for (const s of streams) s.write(`event: block\ndata: ${block}\n\n`);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === "HEAD";
    if (req.method !== "GET" && !head) {
      res.setHeader("Allow", "GET, HEAD");
      return json(res, 405, { error: `method ${req.method} not allowed: the explorer is read-only (GET, HEAD)` }, false);
    }
    let pathname: string;
    try {
      pathname = new URL(req.url ?? "/", "http://explorer").pathname;
    } catch {
      return json(res, 400, { error: "unparsable request URL" }, head);
    }
    if (pathname === "/api/events") {
      res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store", Connection: "keep-alive" });
      if (head) return void res.end();
      res.write(`retry: 2000\n\n`);
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (pathname.startsWith("/api/")) {
      const a = route(o.explorer, pathname);
      return json(res, a.status, a.body, head);
    }
    const f = FILES[pathname];
    if (!f) return json(res, 404, { error: `not found: ${pathname.slice(0, 200)}` }, head);
    send(res, 200, await readFile(f.file), f.type, head);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      o.log?.error({ err: (e as Error).message, url: req.url?.slice(0, 200) }, "explorer request failed");
      if (!res.headersSent) json(res, 500, { error: `internal error: ${(e as Error).message}` }, false);
      else res.end();
    });
  });
  server.on("clientError", (_e, socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => {
      reject(new ExplorerServerError(e.code === "EADDRINUSE" ? `port ${o.port} on ${host} is in use: choose another with --port` : `cannot listen on ${host}:${o.port ?? 0}: ${e.message}`, { host, port: o.port }));
    });
    server.listen(o.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    async close() {
      unsubscribe();
      for (const s of streams) s.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

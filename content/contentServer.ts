import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ContentError } from "./errors.ts";
import type { ContentDocument } from "./publishSpec.ts";

/**
 * A read-only HTTP server of published documents by their content names (`<spec hash>.json`,
 * `<dataset root>.vtds`): GET and HEAD of `/<name>` answer the bytes (immutable: the name is their hash, and
 * every reader checks them against it anyway), any other path 404, any other method 405. No directory
 * listing, no ranges, nothing written. For `veritrain client publish --serve`.
 */
export interface ContentServer {
  /** `http://host:port` as bound (the port resolved when 0 was asked for). */
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeContentOptions {
  readonly documents: readonly ContentDocument[];
  readonly host: string;
  readonly port: number;
  /** Called once per request answered (for a log line). */
  readonly onRequest?: (r: { method: string; path: string; status: number; bytes: number }) => void;
}

const TYPES: Record<string, string> = { json: "application/json", vtds: "application/octet-stream", vtst: "application/octet-stream" };

export async function serveContent(o: ServeContentOptions): Promise<ContentServer> {
  const byName = new Map(o.documents.map((d) => [d.name, d]));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const method = req.method ?? "GET";
    const answer = (status: number, headers: Record<string, string | number>, body?: Uint8Array) => {
      res.writeHead(status, headers).end(method === "HEAD" ? undefined : body);
      o.onRequest?.({ method, path, status, bytes: method === "HEAD" || !body ? 0 : body.length });
    };
    if (method !== "GET" && method !== "HEAD") return answer(405, { Allow: "GET, HEAD", "Content-Length": 0 });
    const doc = byName.get(decodeURIComponent(path.slice(1)));
    if (!doc) return answer(404, { "Content-Length": 0 });
    answer(200, {
      "Content-Type": TYPES[doc.name.split(".").pop() ?? ""] ?? "application/octet-stream", "Content-Length": doc.bytes.length,
      "Cache-Control": "public, max-age=31536000, immutable", ETag: `"${doc.name}"`,
    }, doc.bytes);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) => reject(new ContentError(
      e.code === "EADDRINUSE" ? `cannot serve on ${o.host}:${o.port}: the port is in use (choose another with --port, or 0 for any free port)` : `cannot serve on ${o.host}:${o.port}: ${e.message}`,
      { host: o.host, port: o.port, code: e.code },
    )));
    server.listen(o.port, o.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

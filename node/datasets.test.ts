import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bareHex } from "../core/root.ts";
import { datasetDocument, publishDataset } from "../content/publishDataset.ts";
import { DatasetPublishError } from "../content/errors.ts";
import { encodeDataset } from "../engine/datasetFile.ts";
import { syntheticDataset } from "../test/vectors/generate.ts";
import { loadDatasets } from "./datasets.ts";
import { ConfigError } from "./config.ts";

describe("published datasets: a client publishes by root, a solver accepts the file", () => {
  it("publishDataset writes <root>.vtds once; loadDatasets accepts it by path or file:// URL and keys it by root", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-datasets-"));
    try {
      const d = syntheticDataset(40, 9, 3);
      const pub = await publishDataset({ dataset: d, dir });
      assert.equal(path.basename(pub.path), `${bareHex(pub.root)}.vtds`);
      assert.deepEqual(await publishDataset({ dataset: d, dir }), pub, "publishing again keeps the file");
      for (const entry of [pub.path, pub.uri]) {
        const m = await loadDatasets([entry]);
        assert.deepEqual([...m.keys()], [bareHex(pub.root)]);
        assert.equal(m.get(bareHex(pub.root))!.dataset.count, 40);
      }
      // Another dataset's bytes under this root's name: the publisher refuses, the solver refuses.
      const other = syntheticDataset(41, 9, 3);
      await writeFile(pub.path, encodeDataset(other));
      await assert.rejects(publishDataset({ dataset: d, dir }), (e: unknown) => e instanceof DatasetPublishError && /refusing to overwrite/.test(e.message));
      await assert.rejects(loadDatasets([pub.path]), (e: unknown) => e instanceof ConfigError && /hashes to 0x[0-9a-f]{64}, expected 0x[0-9a-f]{64}: refused/.test(e.message));
      // Garbage, a missing file, an unknown name.
      const junk = path.join(dir, "junk.vtds");
      await writeFile(junk, "not a dataset file at all");
      await assert.rejects(loadDatasets([junk]), (e: unknown) => e instanceof ConfigError && e.field === "accept.datasets" && /not a dataset file/.test(e.message));
      await assert.rejects(loadDatasets([pathToFileURL(path.join(dir, "missing.vtds")).href]), /cannot read the dataset at file:/);
      await assert.rejects(loadDatasets(["cifar"]), /unknown dataset "cifar" \(known: mnist, a \.vtds dataset file, or an http\(s\):\/\/ or ipfs:\/\/ URI naming its root\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("an accept.datasets entry by URI: fetched and checked once, then from the node's content cache (no second request)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "veritrain-datasets-"));
    const doc = datasetDocument(syntheticDataset(24, 5, 3));
    let hits = 0;
    const server = createServer((req, res) => {
      if (req.url !== `/${doc.name}`) return res.writeHead(404).end();
      hits++;
      res.end(doc.bytes);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const cacheDir = path.join(dir, "content");
      const uri = `${base}/${doc.name}`;
      const first = await loadDatasets([uri], { cacheDir });
      assert.deepEqual([...first.keys()], [bareHex(doc.hash)]);
      assert.equal(hits, 1);
      const again = await loadDatasets([uri], { cacheDir });
      assert.equal(again.get(bareHex(doc.hash))!.dataset.count, 24);
      assert.equal(hits, 1, "the restart reads the cache");
      // A remote dataset that names no root cannot be checked: refused; one whose fragment names another root: refused.
      await assert.rejects(loadDatasets([`${base}/data.vtds`], { cacheDir }), (e: unknown) => e instanceof ConfigError && /does not name its dataset root/.test(e.message));
      await assert.rejects(loadDatasets([`${uri}#${"ab".repeat(32)}`], { cacheDir }), (e: unknown) => e instanceof ConfigError && /expected 0x(ab){32}: refused/.test(e.message));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  });
});

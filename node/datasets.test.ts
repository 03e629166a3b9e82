import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { bareHex } from "../core/root.ts";
import { publishDataset } from "../content/publishDataset.ts";
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
});

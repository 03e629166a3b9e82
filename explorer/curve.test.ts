import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toHex } from "../commitment/hash.ts";
import { type Root, toRoot } from "../core/root.ts";
import { accuracy } from "../engine/evaluate.ts";
import { isParameter, stateLayout } from "../engine/graph.ts";
import { encodeState } from "../engine/stateFile.ts";
import type { TrainingState } from "../engine/state.ts";
import { train } from "../training/train.ts";
import { syntheticDataset, tinySpec } from "../test/vectors/generate.ts";
import { CurveBuilder, VERIFIED_CURVE_RULE } from "./curve.ts";

describe("verified training curve", () => {
  it("scores states fetched and checked against the committed roots; marks what it could not fetch or verify", async () => {
    const dataset = syntheticDataset(64, 12, 4), heldout = syntheticDataset(40, 12, 4);
    const spec = tinySpec(dataset);
    const states = new Map<Root, TrainingState>();
    const run = await train({ spec, dataset, steps: 6, checkpointInterval: 2, backend: "reference", onCheckpoint: (c, s) => void states.set(toRoot(toHex(c.root)), s) });
    const roots = run.checkpoints.map((c) => toRoot(toHex(c.root)));
    // A state server that serves checkpoint 1, answers checkpoint 2's root with checkpoint 3's bytes (not
    // the committed state) and has nothing for checkpoint 3.
    const server = createServer((req, res) => {
      const hex = `0x${(req.url ?? "").replace("/state/", "")}` as Root;
      const served = hex === roots[1] ? states.get(roots[1]!) : hex === roots[2] ? states.get(roots[3]!) : undefined;
      if (!served) return void res.writeHead(404).end();
      res.writeHead(200).end(encodeState(spec, served));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const builder = new CurveBuilder({ heldout: [{ name: "synthetic held-out", data: heldout }], backend: "reference", retryMs: 60_000 });
      const input = { jobId: 5n, spec, roots, steps: 6, checkpointInterval: 2, modelURI: `${base}/state/${roots[3]!.slice(2)}` };
      const first = builder.curve(input);
      assert.equal(first.rule, VERIFIED_CURVE_RULE);
      assert.equal(first.computing, true);
      assert.ok(first.points.every((p) => !p.verified && p.reason === "not fetched yet"));
      await builder.settled(5n);
      const c = builder.curve(input);
      assert.equal(c.computing, false, "failed points are not retried before retryMs");
      assert.deepEqual(c.heldout, { name: "synthetic held-out", examples: 40 });
      assert.deepEqual(c.points.map((p) => [p.checkpoint, p.step, p.verified, p.source]), [[0, 0, true, "spec's initial state"], [1, 2, true, "state server"], [2, 4, false, undefined], [3, 6, false, undefined]]);
      assert.match(c.points[2]!.reason!, /has state root .* the committed root is/);
      assert.match(c.points[3]!.reason!, /HTTP 404 Not Found/);
      // Each verified point is the engine's own accuracy of that state's weights on the held-out set.
      const nWeights = stateLayout(spec).filter((s) => isParameter(s.name)).length;
      for (const i of [0, 1]) assert.equal(c.points[i]!.accuracy, await accuracy(spec, states.get(roots[i]!)!.tensors.slice(0, nWeights), heldout, "reference"));
      assert.ok(c.points[0]!.loss! > 0 && Number.isFinite(c.points[1]!.loss!));

      const noServer = builder.curve({ ...input, jobId: 6n, modelURI: "file:///tmp/model.vtst" });
      await builder.settled(6n);
      assert.match(builder.curve({ ...input, jobId: 6n, modelURI: "file:///tmp/model.vtst" }).points[2]!.reason!, /not a state server's/);
      assert.equal(noServer.points[1]!.verified, true, "a root scored once is cached for every job that commits it");
      const other = builder.curve({ ...input, spec: tinySpec(syntheticDataset(64, 10, 4)) });
      assert.match(other.unavailable!, /no held-out set with 10 features and 4 classes/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

/**
 * Turns what replay.py brought back from the GPU into state roots and compares them with the CPU's
 * (docs/engine.md, "On a GPU"). Prints `{"bench":"gpu-check","metrics":{...}}` last and writes
 * bench/results/gpu-check.json; exits 1 when a step or root of the exact, tf32 or cpu run differs, or the bf16 control does not.
 *
 *   node scripts/gpu/compare.ts BUNDLE_DIR REPLAY_OUT_DIR
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { report, round } from "../../bench/report.ts";
import { type Checkpoint, historyRoot } from "../../commitment/history.ts";
import { stateRoot } from "../../commitment/stateRoot.ts";
import { specHash } from "../../engine/spec.ts";
import { sizeOf } from "../../engine/tensor.ts";
import { mnistSpec } from "../../training/mnistJob.ts";

interface CaseManifest {
  name: string; layers: number[]; batchSize: number; steps: number; specHash: string;
  stateShapes: number[][]; checkpoints: { step: number; dataCursor: number; rng: string; root: string }[];
  historyRoot: string; cpuStepMs: number;
  computeTypes: { float32: number; float64: number };
}
interface Run {
  case: string; mode: "exact" | "tf32" | "bf16" | "cpu"; steps: number; matched_steps: number;
  first_mismatch: { step: number; tensors: number[] } | null; step_ms: number; states_file: string | null; state_steps: number[];
}

const [bundle, replayed] = process.argv.slice(2);
if (!bundle || !replayed) {
  process.stderr.write("usage: node scripts/gpu/compare.ts BUNDLE_DIR REPLAY_OUT_DIR\n");
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(path.join(bundle, "manifest.json"), "utf8")) as { cases: CaseManifest[] };
const got = JSON.parse(readFileSync(path.join(replayed, "report.json"), "utf8")) as { env: Record<string, string>; runs: Run[] };

const metrics: Record<string, number | string | boolean> = { device: got.env.device ?? "none", gpu: got.runs.some((r) => r.mode === "exact") };
let ok = true;
for (const c of manifest.cases) {
  const { spec } = mnistSpec({ layers: c.layers, batchSize: c.batchSize });
  if (specHash(spec) !== c.specHash) throw new Error(`${c.name}: the bundle was made from another spec (${c.specHash}); export it again`);
  const runs = got.runs.filter((r) => r.case === c.name);
  for (const r of runs) {
    metrics[`${c.name}_${r.mode}_matched_steps`] = `${r.matched_steps}/${r.steps}`;
    metrics[`${c.name}_${r.mode}_step_ms`] = round(r.step_ms, 2);
    if (r.mode === "bf16") {
      // The negative control: a lossy product must be caught, or the check proves nothing.
      metrics[`${c.name}_bf16_first_mismatch_step`] = r.first_mismatch?.step ?? 0;
      if (r.first_mismatch === null) ok = false;
    } else if (r.matched_steps !== r.steps) ok = false;
  }
  metrics[`${c.name}_cpu_onnxruntime_step_ms`] = round(c.cpuStepMs, 2);

  // The checkpoint states that came back (the GPU's exact run; torch on the CPU where there was no GPU),
  // rooted here with the production commitment code.
  const returned = runs.find((r) => r.states_file !== null);
  if (!returned?.states_file) throw new Error(`${c.name}: no checkpoint states came back in ${replayed}`);
  metrics[`${c.name}_rooted_mode`] = returned.mode;
  const blob = readFileSync(path.join(replayed, returned.states_file));
  const per = c.stateShapes.reduce((n, s) => n + sizeOf(s), 0) * 8;
  if (blob.length !== per * returned.state_steps.length) throw new Error(`${returned.states_file}: ${blob.length} bytes, expected ${per * returned.state_steps.length}`);
  const ckptAt = new Map(c.checkpoints.map((k) => [k.step, k]));
  const rooted: Checkpoint[] = [];
  let equal = 0;
  returned.state_steps.forEach((step, k) => {
    const want = ckptAt.get(step);
    if (want === undefined) throw new Error(`${c.name}: step ${step} is not a checkpoint`);
    let off = k * per;
    const tensors = c.stateShapes.map((shape) => {
      const n = sizeOf(shape);
      const data = new Float64Array(blob.buffer.slice(blob.byteOffset + off, blob.byteOffset + off + n * 8));
      off += n * 8;
      return { shape, data };
    });
    // The header (step, cursor, rng) is not the GPU's work: it is taken from the CPU run; the tensors are.
    const root = stateRoot(spec, { specHash: c.specHash, step, dataCursor: want.dataCursor, rng: Buffer.from(want.rng, "hex"), tensors });
    if (root.toString("hex") === want.root) equal++;
    else ok = false;
    rooted.push({ step, root });
  });
  metrics[`${c.name}_roots_equal`] = `${equal}/${returned.state_steps.length}`;
  if (returned.state_steps.length === c.checkpoints.length) {
    const same = historyRoot(rooted).toString("hex") === c.historyRoot;
    metrics[`${c.name}_history_root_equal`] = same;
    if (!same) ok = false;
  }
}
metrics.exact = ok;
report("gpu-check", metrics, { env: got.env });
process.exit(ok ? 0 : 1);

// The project's single test entry point.
//
//   node scripts/run-tests.ts                 # every *.test.ts under the top-level folders
//   node scripts/run-tests.ts engine/ merkle  # only files whose path contains a filter
//
// Runs each file in its own subprocess (node:test `isolation: "process"`, so a file
// that boots Hardhat/EDR cannot disturb another), prints node's spec report, then
// prints as the very last line `N passed, N failed` (plus `, N skipped` if any).
// Exit code 1 when a test failed, a file failed to load or crashed, or no test ran.
//
// Environment: TEST_PROFILE (e.g. `heavy`) is inherited by the test processes;
// TEST_CONCURRENCY overrides the number of files run in parallel (default 2).
import { run } from "node:test";
import { spec } from "node:test/reporters";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** Build products and installs: never searched for tests (nor are dot folders). */
const SKIP_DIRS = new Set(["node_modules", "artifacts", "cache", "build"]);
const isSkipped = (name: string) => SKIP_DIRS.has(name) || name.startsWith(".");
/** Every top-level folder of the repository: a new layer's tests are found without a list to update. */
const TEST_ROOTS = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && !isSkipped(e.name)).map((e) => e.name);

/** Repo-relative, forward-slash paths of every `*.test.ts` under `dir`. */
function findTests(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(ROOT, dir), { withFileTypes: true });
  } catch {
    return []; // a test root that does not exist (yet)
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) {
      if (!isSkipped(e.name)) out.push(...findTests(rel));
    } else if (e.isFile() && e.name.endsWith(".test.ts")) {
      out.push(rel);
    }
  }
  return out;
}

function concurrency(): number {
  const fromEnv = Number.parseInt(process.env.TEST_CONCURRENCY ?? "", 10);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return Math.max(1, Math.min(2, availableParallelism()));
}

function summaryLine(passed: number, failed: number, skipped: number): string {
  return `${passed} passed, ${failed} failed` + (skipped > 0 ? `, ${skipped} skipped` : "");
}

const filters = process.argv
  .slice(2)
  .map((f) => f.replaceAll("\\", "/").replace(/^\.\//, ""))
  .filter((f) => f.length > 0);
const files = TEST_ROOTS.flatMap(findTests)
  .filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)))
  .sort();

if (files.length === 0) {
  console.error(
    `run-tests: no *.test.ts files found` + (filters.length ? ` matching ${filters.join(", ")}` : ""),
  );
  console.log(summaryLine(0, 0, 0));
  process.exit(1);
}

let passed = 0;
let failed = 0;
let skipped = 0;

// Failures already counted below each open (file, nesting level), so that a suite
// that fails only because of its children is not counted again, while a suite
// that fails on its own (hook failure, exception in the describe body) is counted.
const failsBelow = new Map<string, number[]>();

/** A file-level pseudo-test: node reports it only when the file crashed, failed to load, or had no tests. */
function isFileEntry(data: { name: string; nesting: number; file?: string | undefined }): boolean {
  if (data.nesting !== 0 || data.file === undefined) return false;
  return data.name === path.relative(ROOT, data.file) || data.name === data.file;
}

function record(
  data: {
    name: string;
    nesting: number;
    file?: string | undefined;
    skip?: string | boolean | undefined;
    todo?: string | boolean | undefined;
    details: { type?: "suite" | "test" | undefined; error?: unknown };
  },
  ok: boolean,
): void {
  const key = data.file ?? "<unknown>";
  let levels = failsBelow.get(key);
  if (levels === undefined) failsBelow.set(key, (levels = []));
  const n = data.nesting;
  const childFails = levels[n + 1] ?? 0;
  levels.length = n + 1; // children of this test are done
  let selfFail = 0;

  const failureType = (data.details.error as { failureType?: string } | undefined)?.failureType;
  if (data.details.type === "suite") {
    if (!ok && childFails === 0) selfFail = 1;
  } else if (isFileEntry(data)) {
    if (!ok) selfFail = 1; // crash / load error: must be visible as a failure
    // an empty file passing is not a test
  } else if (data.skip || data.todo) {
    skipped++;
  } else if (ok) {
    passed++;
  } else if (!(failureType === "subtestsFailed" && childFails > 0)) {
    selfFail = 1;
  }

  failed += selfFail;
  levels[n] = (levels[n] ?? 0) + childFails + selfFail;
}

const stream = run({
  files,
  cwd: ROOT,
  isolation: "process",
  concurrency: concurrency(),
});
stream.on("test:pass", (data) => record(data, true));
stream.on("test:fail", (data) => record(data, false));

const report = stream.compose(new spec());
report.pipe(process.stdout, { end: false });
await once(report, "end");

if (passed + failed === 0) console.error("run-tests: no test ran");
console.log(summaryLine(passed, failed, skipped));
process.exitCode = failed > 0 || passed + failed === 0 ? 1 : 0;

// Smoke test of the circuit toolchain (circom2 = circom compiled to WASM, and snarkjs):
// compiles circuits/smoke/Multiply.circom into build/circuits/smoke, prints
// `snarkjs r1cs info`, computes a witness for a=3, b=11 and checks that c = 33.
//
//   node scripts/circuits-check.ts      (or: npm run circuits:check)
//
// circom2 only sees files below its working directory (WASI preopens), so it is run
// from the repository root with repo-relative paths.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CIRCOM = path.join(ROOT, "node_modules/circom2/cli.js");
const SNARKJS = path.join(ROOT, "node_modules/snarkjs/build/cli.cjs");
const SRC = "circuits/smoke/Multiply.circom";
const OUT = "build/circuits/smoke";

function step(label: string, script: string, args: string[]): void {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [script, ...args], { cwd: ROOT, stdio: "inherit" });
  const ms = Math.round(performance.now() - t0);
  if (r.status !== 0) {
    console.error(`circuits:check: ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
  console.log(`circuits:check: ${label} ok (${ms} ms)`);
}

mkdirSync(path.join(ROOT, OUT), { recursive: true }); // circom refuses a missing -o dir
// circom's generated witness helpers are CommonJS; the repo is "type": "module".
mkdirSync(path.join(ROOT, OUT, "Multiply_js"), { recursive: true });
writeFileSync(path.join(ROOT, OUT, "Multiply_js/package.json"), '{ "type": "commonjs" }\n');

step("circom2 compile", CIRCOM, [SRC, "--r1cs", "--wasm", "-o", OUT]);
step("snarkjs r1cs info", SNARKJS, ["r1cs", "info", `${OUT}/Multiply.r1cs`]);

writeFileSync(path.join(ROOT, OUT, "input.json"), JSON.stringify({ a: "3", b: "11" }));
step("snarkjs wtns calculate", SNARKJS, [
  "wtns", "calculate", `${OUT}/Multiply_js/Multiply.wasm`, `${OUT}/input.json`, `${OUT}/witness.wtns`,
]);
step("snarkjs wtns export json", SNARKJS, [
  "wtns", "export", "json", `${OUT}/witness.wtns`, `${OUT}/witness.json`,
]);

// Witness layout: [1, outputs..., inputs...] -> [1, c, a, b].
const witness = JSON.parse(readFileSync(path.join(ROOT, OUT, "witness.json"), "utf8")) as string[];
if (witness[1] !== "33") {
  console.error(`circuits:check: expected c = 33, witness is ${JSON.stringify(witness)}`);
  process.exit(1);
}
console.log("circuits:check: witness c = a*b = 33 ok");

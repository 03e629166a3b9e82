// The layers' import rule (README, "Layout"), checked on every .ts file of the repository: dependencies
// point one way, core -> engine / commitment -> training -> settlement -> chain / content -> the nodes
// (solver, verifier, dispute) and the SDK (client) -> the explorer -> cli. Nothing imports the CLI but bench/,
// nothing imports the explorer but cli/, and the explorer (read-only) imports no node; the pure
// layers (core, engine, commitment, settlement) import nothing that talks to a chain, a node or a user.
// Every violation is named: the file, the import as written, and the rule it breaks.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// Folders .gitignore names at the top level (node_modules, build outputs, out/): not the project's own.
const SKIP = new Set([...readFileSync(path.join(ROOT, ".gitignore"), "utf8").matchAll(/^\/?([A-Za-z0-9_.-]+)\/$/gm)].map((m) => m[1]!));

/** Repo-relative paths of every .ts file (build products and dot folders excepted). */
function tsFiles(dir = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.startsWith(".")) continue;
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...tsFiles(rel));
    else if (e.isFile() && e.name.endsWith(".ts")) out.push(rel);
  }
  return out;
}

/** The relative module specifiers a file imports or re-exports (static, dynamic and type-only alike). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const re of [/\bfrom\s*"(\.[^"]+)"/g, /\bimport\s*\(\s*"(\.[^"]+)"\s*\)/g, /^\s*import\s*"(\.[^"]+)"/gm]) {
    for (const m of code.matchAll(re)) out.push(m[1]!);
  }
  return out;
}

/** The top-level folder of a repo-relative path ("" for a file at the root). */
const layerOf = (rel: string) => (rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : "");

/** What talks to a chain, runs a node or faces a user: never imported by a pure layer. */
const IMPURE = ["chain", "content", "solver", "verifier", "node", "client", "dispute", "explorer", "cli", "log", "bench"];

interface Rule {
  readonly name: string;
  /** Whether the rule applies to the importing file... */
  readonly from: (layer: string) => boolean;
  /** ...and forbids importing this layer. */
  readonly forbids: (layer: string) => boolean;
}

export const RULES: readonly Rule[] = [
  { name: "nothing but bench/ imports cli/ (the CLI is the top layer)", from: (l) => l !== "cli" && l !== "bench", forbids: (l) => l === "cli" },
  { name: "core/ imports nothing of the project", from: (l) => l === "core", forbids: (l) => l !== "core" },
  {
    name: "engine/, commitment/ and settlement/ are pure: no chain, node, SDK, CLI or logger",
    from: (l) => l === "engine" || l === "commitment" || l === "settlement",
    forbids: (l) => IMPURE.includes(l),
  },
  { name: "chain/ is below the nodes and the SDK", from: (l) => l === "chain", forbids: (l) => ["solver", "verifier", "node", "client", "dispute", "explorer", "cli"].includes(l) },
  { name: "dispute/ (the game player) and node/ (the node skeleton) are below the roles", from: (l) => l === "dispute" || l === "node", forbids: (l) => ["solver", "verifier", "client", "explorer"].includes(l) },
  { name: "the roles do not import each other (solver/, verifier/, client/)", from: (l) => ["solver", "verifier", "client"].includes(l), forbids: (l) => ["solver", "verifier", "client"].includes(l) },
  { name: "nothing but cli/ imports explorer/ (the read-only web page)", from: (l) => l !== "cli", forbids: (l) => l === "explorer" },
  { name: "explorer/ is read-only: it imports no node (solver/, verifier/, node/)", from: (l) => l === "explorer", forbids: (l) => ["solver", "verifier", "node"].includes(l) },
];

/** Every (file, import, rule) that breaks a rule. */
export function violations(files: readonly string[], read: (rel: string) => string): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    for (const spec of importsOf(read(file))) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const to = layerOf(target);
      for (const r of RULES) if (to !== from && r.from(from) && r.forbids(to)) out.push(`${file} imports "${spec}": ${r.name}`);
    }
  }
  return out;
}

describe("layers", () => {
  it("no file imports against the layer order (each violation named: file, import, rule)", () => {
    const files = tsFiles();
    assert.ok(files.length > 100 && files.includes("test/layers.test.ts"), `scanned ${files.length} files`);
    const found = violations(files, (rel) => readFileSync(path.join(ROOT, rel), "utf8"));
    assert.deepEqual(found, [], `\n${found.join("\n")}`);
  });

  it("finds every kind of import, and names what breaks the rule", () => {
    // Spelled in pieces, so that this file's own scan does not read them as imports.
    const [from, load] = ["from", "import"];
    const src = [
      `import { a } ${from} "../cli/x.ts";`,
      `import type { B } ${from} "../chain/y.ts";`,
      `export { c } ${from} "../client/z.ts";`,
      `const m = await ${load}("../solver/w.ts");`,
      `// import { d } ${from} "../cli/commented.ts";`,
      `${load} "../log/side.ts";`,
    ].join("\n");
    assert.deepEqual(importsOf(src).sort(), ["../chain/y.ts", "../cli/x.ts", "../client/z.ts", "../log/side.ts", "../solver/w.ts"]);
    const got = violations(["engine/bad.ts", "core/bad.ts", "bench/ok.ts", "cli/ok.ts"], (f) => (f.startsWith("core") ? 'import { x } from "../engine/y.ts";' : src));
    const pure = "engine/, commitment/ and settlement/ are pure: no chain, node, SDK, CLI or logger";
    assert.deepEqual(got.sort(), [
      'core/bad.ts imports "../engine/y.ts": core/ imports nothing of the project',
      `engine/bad.ts imports "../chain/y.ts": ${pure}`,
      `engine/bad.ts imports "../cli/x.ts": ${pure}`,
      'engine/bad.ts imports "../cli/x.ts": nothing but bench/ imports cli/ (the CLI is the top layer)',
      `engine/bad.ts imports "../client/z.ts": ${pure}`,
      `engine/bad.ts imports "../log/side.ts": ${pure}`,
      `engine/bad.ts imports "../solver/w.ts": ${pure}`,
    ]);
  });

  it("the README's layout table names every folder of the project, and only those", () => {
    const folders = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory() && !SKIP.has(e.name) && !e.name.startsWith(".")).map((e) => e.name).sort();
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([a-z]+)\/` \|/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(rows, folders);
  });
});

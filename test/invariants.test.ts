import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { expect } from "chai";
import { fileURLToPath } from "node:url";

/**
 * Every protocol invariant id (INV-...) stands in three places: the spec (docs/protocol.md), an
 * `INVARIANT:` comment above the line of a contract that enforces it, and the title of a test that checks
 * it. This lists ids missing from any of the three.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const ID = /INV-[A-Z]+-\d+/g;

function files(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== "node_modules") out.push(...files(rel, ext));
    else if (e.name.endsWith(ext)) out.push(rel);
  }
  return out;
}

const ids = (text: string) => new Set(text.match(ID) ?? []);
const specIds = ids(readFileSync(path.join(root, "docs/protocol.md"), "utf8"));
const enforced = new Set<string>();
for (const f of files("contracts", ".sol")) {
  for (const line of readFileSync(path.join(root, f), "utf8").split("\n")) if (line.includes("INVARIANT:")) for (const id of ids(line)) enforced.add(id);
}
const tested = new Set<string>();
const title = /\bit\(\s*(["'`])(.*?)\1/g;
for (const f of files("test", ".test.ts")) {
  for (const m of readFileSync(path.join(root, f), "utf8").matchAll(title)) for (const id of ids(m[2]!)) tested.add(id);
}

describe("protocol invariants", () => {
  it("the spec defines some", () => {
    expect(specIds.size).to.be.greaterThan(5);
  });
  it("every invariant of the spec is enforced by an INVARIANT: comment in a contract", () => {
    expect([...specIds].filter((id) => !enforced.has(id))).to.deep.equal([]);
  });
  it("every invariant of the spec is named in the title of a test", () => {
    expect([...specIds].filter((id) => !tested.has(id))).to.deep.equal([]);
  });
  it("every invariant a contract names is in the spec", () => {
    expect([...enforced].filter((id) => !specIds.has(id))).to.deep.equal([]);
  });
});

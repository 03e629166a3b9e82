import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { expect } from "chai";
import { parseSpec, specHash } from "../engine/spec.ts";
import { mnistCnnSpec, mnistSpec } from "./mnistJob.ts";

/** docs/specs/*.json are the default specs `veritrain spec default --model ...` writes (bench:models trains them). */
const load = (name: string) => parseSpec(JSON.parse(readFileSync(new URL(`../docs/specs/${name}`, import.meta.url), "utf8")));

describe("committed spec files", () => {
  it("docs/specs/cnn.json and mlp.json are the default CNN and MLP specs", () => {
    expect(specHash(load("cnn.json"))).to.equal(specHash(mnistCnnSpec().spec));
    expect(specHash(load("mlp.json"))).to.equal(specHash(mnistSpec().spec));
  });
});

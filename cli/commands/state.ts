import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { commitState } from "../../commitment/stateRoot.ts";
import { toHex } from "../../commitment/hash.ts";
import { FileReadError } from "../../engine/errors.ts";
import { decodeState } from "../../engine/stateFile.ts";
import { loadSpecFile } from "../specFile.ts";

export function registerState(program: Command): void {
  program
    .command("state <file>")
    .description("check a training-state file against its spec and print its step and state root")
    .requiredOption("--spec <file>", "the spec JSON file the state belongs to")
    .option("--json", "print the result as one JSON object")
    .action(async (file: string, f: { spec: string; json?: boolean }) => {
      const spec = await loadSpecFile(f.spec);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new FileReadError(`cannot read state file ${file}: ${(e as Error).message}`, { path: file });
      }
      const s = decodeState(spec, bytes);
      const c = commitState(spec, s);
      const out = { step: s.step, dataCursor: s.dataCursor, stateRoot: toHex(c.root), tensors: c.tensors.map((t) => toHex(t.root)) };
      process.stdout.write(f.json ? JSON.stringify(out) + "\n" : `step ${out.step}, state root ${out.stateRoot}\n`);
    });
}

import { readFile } from "node:fs/promises";
import { FileReadError, SpecError } from "../engine/errors.ts";
import { parseSpec, type TrainingSpec } from "../engine/spec.ts";

/** A job spec from a JSON file (`--spec`): a clear error for a file that cannot be read, is not JSON or is not a valid spec. */
export async function loadSpecFile(path: string): Promise<TrainingSpec> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new FileReadError(`cannot read spec file ${path}: ${(e as Error).message}`, { path });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError("(file)", `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseSpec(json);
}

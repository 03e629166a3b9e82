import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { toHex } from "../commitment/hash.ts";
import { stateRoot } from "../commitment/stateRoot.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState, encodeState } from "../engine/stateFile.ts";
import type { TrainingState } from "../engine/state.ts";

/**
 * The solver's local content-addressed checkpoint store: each state file (engine/stateFile.ts) is named by
 * its state root (`<dir>/<root hex>.state`), written atomically (temporary file, then rename).
 */
export interface StoredState {
  readonly root: `0x${string}`;
  readonly path: string;
  readonly uri: string;
}

export interface StateStore {
  readonly dir: string;
  put(spec: TrainingSpec, state: TrainingState): Promise<StoredState>;
  /** The state with this root, checked against it on read. */
  get(spec: TrainingSpec, root: `0x${string}`): Promise<TrainingState>;
  pathOf(root: `0x${string}`): string;
}

export async function openStore(dir: string): Promise<StateStore> {
  const abs = path.resolve(dir);
  await mkdir(abs, { recursive: true });
  const pathOf = (root: `0x${string}`) => path.join(abs, `${root.slice(2).toLowerCase()}.state`);
  return {
    dir: abs,
    pathOf,
    async put(spec, state) {
      const root = toHex(stateRoot(spec, state));
      const file = pathOf(root);
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, encodeState(spec, state));
      await rename(tmp, file);
      return { root, path: file, uri: pathToFileURL(file).href };
    },
    async get(spec, root) {
      const state = decodeState(spec, await readFile(pathOf(root)));
      const actual = toHex(stateRoot(spec, state));
      if (actual !== root.toLowerCase()) throw new Error(`store corrupt: ${pathOf(root)} holds root ${actual}`);
      return state;
    },
  };
}

import { access, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { stateRoot } from "../commitment/stateRoot.ts";
import { bareHex, type Root, toRoot } from "../core/root.ts";
import type { TrainingSpec } from "../engine/spec.ts";
import { decodeState, encodeState } from "../engine/stateFile.ts";
import type { TrainingState } from "../engine/state.ts";

/**
 * A node's local content-addressed state store (the solver's checkpoints, the verifier's verified states):
 * each state file (engine/stateFile.ts) is named by its state root (`<dir>/<bareHex(root)>.state`), written
 * atomically (temporary file, then rename), and checked against its root on every read.
 */
export interface StoredState {
  readonly root: Root;
  readonly path: string;
  readonly uri: string;
}

/** A state root as the store names its files and the HTTP server addresses them: exactly 64 lowercase hex digits, no 0x. */
export const ROOT_HEX = /^[0-9a-f]{64}$/;

/** Why `s` is not a bare state root (64 lowercase hex digits), or undefined when it is one. */
export function rootHexProblem(s: string): string | undefined {
  if (ROOT_HEX.test(s)) return undefined;
  if (s.length === 0) return "the state root is empty";
  if (/[/\\]|\.\.|%/.test(s)) return "the state root contains a path separator, '..' or a percent-escape";
  if (/^0x/i.test(s)) return "the state root must not carry a 0x prefix";
  if (/[^0-9a-fA-F]/.test(s)) return "the state root contains non-hex characters";
  if (/[A-F]/.test(s)) return "the state root must be lowercase hex";
  return `the state root must be exactly 64 hex characters, got ${s.length}`;
}

export interface StateStore {
  readonly dir: string;
  put(spec: TrainingSpec, state: TrainingState): Promise<StoredState>;
  /** The state with this root, checked against it on read. */
  get(spec: TrainingSpec, root: Root): Promise<TrainingState>;
  pathOf(root: Root): string;
  /** Whether a state with this root is stored (not read: `get` checks it). */
  has(root: Root): Promise<boolean>;
}

export async function openStore(dir: string): Promise<StateStore> {
  const abs = path.resolve(dir);
  await mkdir(abs, { recursive: true });
  const pathOf = (root: Root) => path.join(abs, `${bareHex(root)}.state`);
  return {
    dir: abs,
    pathOf,
    has: (root) => access(pathOf(root)).then(() => true, () => false),
    async put(spec, state) {
      const root = toRoot(stateRoot(spec, state));
      const file = pathOf(root);
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, encodeState(spec, state));
      await rename(tmp, file);
      return { root, path: file, uri: pathToFileURL(file).href };
    },
    async get(spec, root) {
      const state = decodeState(spec, await readFile(pathOf(root)));
      const actual = toRoot(stateRoot(spec, state));
      if (actual !== root) throw new Error(`store corrupt: ${pathOf(root)} holds root ${actual}`);
      return state;
    },
  };
}

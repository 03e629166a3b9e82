import type * as ort from "onnxruntime-node";
import { lowerGraph, type LoweredGraph } from "../onnx/lower.ts";
import { openSession, runLowered } from "../onnx/session.ts";
import type { Tensor } from "../tensor.ts";
import { findBatchCut, shardProgram, type BatchCut, type ShardProgram } from "./batchCut.ts";
import { WorkersError } from "./errors.ts";
import type { GradientRequest, GradientResult, WorkerSetup } from "./protocol.ts";
import { onnxUpdate, type UpdateRunner } from "./update.ts";

/**
 * The worker side of the protocol, free of any transport: holds the state of the version it is at and one
 * onnxruntime session of its shard program. A thread (workerMain.ts) serves it over a MessagePort; a remote
 * worker would serve the same object over a socket.
 */
export class ShardServer {
  readonly #setup: WorkerSetup;
  readonly #cut: BatchCut;
  readonly #program: ShardProgram;
  readonly #lowered: LoweredGraph;
  readonly #session: ort.InferenceSession;
  #state: readonly Tensor[] | undefined;
  #update: UpdateRunner | undefined;
  #version = -1;

  private constructor(setup: WorkerSetup, cut: BatchCut, program: ShardProgram, lowered: LoweredGraph, session: ort.InferenceSession) {
    this.#setup = setup;
    this.#cut = cut;
    this.#program = program;
    this.#lowered = lowered;
    this.#session = session;
  }

  static async open(setup: WorkerSetup): Promise<ShardServer> {
    const cut = findBatchCut(setup.graph);
    const program = shardProgram(setup.graph, cut, setup.rows);
    const lowered = lowerGraph(program, program.outputs);
    const session = await openSession(lowered, { threads: setup.threads });
    return new ShardServer(setup, cut, program, lowered, session);
  }

  async gradients(req: GradientRequest): Promise<GradientResult> {
    const { graph } = this.#setup;
    if (req.state) {
      if (req.state.length !== graph.stateIn.length) throw new WorkersError(`the request's state has ${req.state.length} tensors, the graph ${graph.stateIn.length}`);
      this.#state = req.state;
    } else if (req.advance) {
      if (this.#version !== req.advance.from || !this.#state) {
        throw new WorkersError(`asked to advance from state version ${req.advance.from}, but this worker holds ${this.#version < 0 ? "none" : `version ${this.#version}`}`);
      }
      this.#update ??= await onnxUpdate(graph, this.#cut);
      this.#state = await this.#update.apply(this.#state, req.advance.cut);
    } else if (this.#version !== req.version || !this.#state) {
      throw new WorkersError(`asked for gradients at state version ${req.version}, but this worker holds ${this.#version < 0 ? "none" : `version ${this.#version}`}`);
    }
    this.#version = req.version;
    const p = this.#program;
    for (const [what, t, want] of [["x", req.x, p.tensors[p.x]!.shape], ["labels", req.labels, p.tensors[p.labels]!.shape]] as const) {
      if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]) || t.data.length !== want.reduce((a, b) => a * b, 1)) {
        throw new WorkersError(`shard ${what} has shape [${t.shape.join(",")}] (${t.data.length} values), this worker takes [${want.join(",")}]`);
      }
    }
    const inputs = new Map<number, Tensor>([[p.x, req.x], [p.labels, req.labels]]);
    for (const s of p.state) inputs.set(s.id, this.#state[s.slot]!);
    const byId = await runLowered(this.#session, this.#lowered, p.tensors.map((t) => t.shape), inputs);
    const out = p.outputs.map((id) => byId.get(id)!);
    return { version: req.version, cut: out.slice(0, -1), logits: out.at(-1)! };
  }

  async close(): Promise<void> {
    await this.#session.release();
    await this.#update?.close();
  }
}

import { expect } from "chai";
import type * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import type { GraphOp, GraphTensor } from "../../engine/graph.ts";
import type { Range } from "../../engine/int.ts";
import { computeType, type FloatType, lowerGraph, type LoweredGraph } from "../../engine/onnx/lower.ts";
import { openSession, runLowered } from "../../engine/onnx/session.ts";
import { opDef, type OpDef, type OpKind, type OpTyping } from "../../engine/ops/index.ts";
import type { Tensor } from "../../engine/tensor.ts";

/**
 * One op lowered alone (its inputs as graph inputs, its output the only output) in an onnxruntime session,
 * for the differential tests of the ONNX lowering against the TypeScript reference.
 */
export interface OneOp {
  readonly name: string;
  readonly def: OpDef<unknown>;
  readonly attrs: unknown;
  readonly typing: OpTyping;
  readonly op: GraphOp;
  readonly computeType: FloatType;
  readonly lowered: LoweredGraph;
  readonly session: ort.InferenceSession;
  readonly shapes: readonly (readonly number[])[];
  readonly output: number;
}

type Inputs = readonly { readonly shape: readonly number[]; readonly range: Range }[];

/** The one-op graph: its inputs as graph inputs, its output the only output. */
function oneOpGraph(kind: OpKind, attrs: unknown, inputs: Inputs) {
  const def = opDef(kind);
  const typing = def.type(inputs.map((i) => i.shape), inputs.map((i) => i.range), attrs);
  const tensors: GraphTensor[] = inputs.map((i, id) => ({ id, name: `in${id}`, shape: i.shape, range: i.range, role: "input" }));
  const output = tensors.length;
  tensors.push({ id: output, name: "out", shape: typing.shape, range: typing.range, role: "op", producer: 0 });
  const op = { index: 0, kind, attrs, inputs: inputs.map((_, i) => i), output, exactBound: typing.exactBound } as GraphOp;
  return { def, typing, tensors, op, output, lowered: lowerGraph({ tensors, ops: [op] }, [output]) };
}

export async function lowerOneOp(name: string, kind: OpKind, attrs: unknown, inputs: Inputs): Promise<OneOp> {
  const { def, typing, tensors, op, output, lowered } = oneOpGraph(kind, attrs, inputs);
  const session = await openSession(lowered);
  return { name, def, attrs, typing, op, computeType: computeType(op), lowered, session, shapes: tensors.map((t) => t.shape), output };
}

/** The ONNX nodes one op lowers to (its inputs are named in0, in1, ... as `t{i}_in{i}`), to check which form a lowering took. */
export function oneOpNodes(kind: OpKind, attrs: unknown, inputs: Inputs): onnxProto.onnx.INodeProto[] {
  return onnxProto.onnx.ModelProto.decode(oneOpGraph(kind, attrs, inputs).lowered.bytes).graph!.node!;
}

/** Runs both backends on `ins`: every element bit-identical, and inside the op's declared range. */
export async function expectBitIdentical(o: OneOp, ins: readonly Tensor[], label: string): Promise<Tensor> {
  const want = o.def.reference(ins, o.attrs);
  const got = (await runLowered(o.session, o.lowered, o.shapes, new Map(ins.map((t, k) => [k, t])))).get(o.output)!;
  expect(got.shape).to.deep.equal([...want.shape]);
  const [lo, hi] = o.typing.range;
  for (let i = 0; i < want.data.length; i++) {
    if (got.data[i] !== want.data[i]) expect.fail(`${o.name} (${label}): element ${i}: onnx ${got.data[i]} != reference ${want.data[i]}`);
    if (!(want.data[i]! >= lo && want.data[i]! <= hi)) expect.fail(`${o.name} (${label}): element ${i} = ${want.data[i]} escapes the declared range [${o.typing.range}]`);
  }
  return want;
}

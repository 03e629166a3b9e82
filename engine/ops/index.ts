import { biasAdd } from "./biasAdd.ts";
import { col2im, type Col2imAttrs } from "./col2im.ts";
import { colSum } from "./colSum.ts";
import { im2col, type Im2colAttrs } from "./im2col.ts";
import { matmul, type MatmulAttrs } from "./matmul.ts";
import { maxpool, type MaxpoolAttrs } from "./maxpool.ts";
import { maxpoolGrad, type MaxpoolGradAttrs } from "./maxpoolGrad.ts";
import { momentum, type MomentumAttrs } from "./momentum.ts";
import { mseGrad, type MseGradAttrs } from "./mseGrad.ts";
import { OP_CODES, type OpDef, type OpKind } from "./op.ts";
import { relu } from "./relu.ts";
import { reluMask } from "./reluMask.ts";
import { requantize, type RequantizeAttrs } from "./requantize.ts";
import { reshape, type ReshapeAttrs } from "./reshape.ts";
import { sgdUpdate, type SgdUpdateAttrs } from "./sgdUpdate.ts";
import { oneHot, type OneHotAttrs } from "./oneHot.ts";
import { softmaxCeGrad, type SoftmaxCeGradAttrs } from "./softmaxCeGrad.ts";
import { adamM, type AdamMAttrs } from "./adamM.ts";
import { adamV, type AdamVAttrs } from "./adamV.ts";
import { adamUpdate, type AdamUpdateAttrs } from "./adamUpdate.ts";

export { OP_CODES, type OpDef, type OpKind, type OpTyping } from "./op.ts";
export type { MatmulAttrs, MomentumAttrs, MseGradAttrs, RequantizeAttrs, SgdUpdateAttrs };
export type { Col2imAttrs, Im2colAttrs, MaxpoolAttrs, MaxpoolGradAttrs, ReshapeAttrs };
export type { OneHotAttrs, SoftmaxCeGradAttrs, AdamMAttrs, AdamVAttrs, AdamUpdateAttrs };

type NoAttrs = Record<string, never>;
/** Attribute type of each op kind. */
export interface OpAttrs {
  matmul: MatmulAttrs;
  bias_add: NoAttrs;
  requantize: RequantizeAttrs;
  relu: NoAttrs;
  relu_mask: NoAttrs;
  mse_grad: MseGradAttrs;
  col_sum: NoAttrs;
  momentum: MomentumAttrs;
  sgd_update: SgdUpdateAttrs;
  reshape: ReshapeAttrs;
  im2col: Im2colAttrs;
  col2im: Col2imAttrs;
  maxpool: MaxpoolAttrs;
  maxpool_grad: MaxpoolGradAttrs;
  one_hot: OneHotAttrs;
  softmax_ce_grad: SoftmaxCeGradAttrs;
  adam_m: AdamMAttrs;
  adam_v: AdamVAttrs;
  adam_update: AdamUpdateAttrs;
}

export const OPS: { readonly [K in OpKind]: OpDef<OpAttrs[K]> } = {
  matmul,
  bias_add: biasAdd,
  requantize,
  relu,
  relu_mask: reluMask,
  mse_grad: mseGrad,
  col_sum: colSum,
  momentum,
  sgd_update: sgdUpdate,
  reshape,
  im2col,
  col2im,
  maxpool,
  maxpool_grad: maxpoolGrad,
  one_hot: oneHot,
  softmax_ce_grad: softmaxCeGrad,
  adam_m: adamM,
  adam_v: adamV,
  adam_update: adamUpdate,
};

/** The definition of an op kind with its attributes erased (for code that handles every kind alike). */
export function opDef(kind: OpKind): OpDef<unknown> {
  return OPS[kind] as unknown as OpDef<unknown>;
}

/** Op kinds by their protocol code (OP_CODES inverted): how a program entry or a trace record names its op. */
const KIND_OF_CODE: ReadonlyMap<number, OpKind> = new Map(Object.entries(OP_CODES).map(([k, c]) => [c, k as OpKind]));

/** The op kind with protocol code `code`; undefined for the anchors, the batch inputs and unknown codes. */
export function opKindOf(code: number): OpKind | undefined {
  return KIND_OF_CODE.get(code);
}

/** The definition of the op with protocol code `code`, attributes erased; undefined when no op has it. */
export function opDefOf(code: number): OpDef<unknown> | undefined {
  const kind = KIND_OF_CODE.get(code);
  return kind === undefined ? undefined : opDef(kind);
}

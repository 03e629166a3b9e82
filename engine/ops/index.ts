import { biasAdd } from "./biasAdd.ts";
import { colSum } from "./colSum.ts";
import { matmul, type MatmulAttrs } from "./matmul.ts";
import { momentum, type MomentumAttrs } from "./momentum.ts";
import { mseGrad, type MseGradAttrs } from "./mseGrad.ts";
import type { OpDef, OpKind } from "./op.ts";
import { relu } from "./relu.ts";
import { reluMask } from "./reluMask.ts";
import { requantize, type RequantizeAttrs } from "./requantize.ts";
import { sgdUpdate, type SgdUpdateAttrs } from "./sgdUpdate.ts";

export { OP_CODES, type OpDef, type OpKind, type OpTyping } from "./op.ts";
export type { MatmulAttrs, MomentumAttrs, MseGradAttrs, RequantizeAttrs, SgdUpdateAttrs };

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
};

/** The definition of an op kind with its attributes erased (for code that handles every kind alike). */
export function opDef(kind: OpKind): OpDef<unknown> {
  return OPS[kind] as unknown as OpDef<unknown>;
}

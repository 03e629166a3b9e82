import type { AbiParameterToPrimitiveType, Hex } from "viem";

/**
 * The ABI of what settles a disputed element (contracts/kernel/KernelVerifierBase.sol): the structs of the
 * `operands` argument of IKernelVerifier.trueValue, and IKernelVerifier.Context. These parameter definitions
 * are the single TypeScript description of the Solidity layouts; the arg types below are what viem takes.
 *
 *   abi.encode(Entry entry, bytes32[] entryPath, Header header, bytes32[] headerPath, <opening>)
 *     code 255 (post-state anchor): PostAnchorOpening { PreState pre; RecordOpening[] stateOut }
 *     code 0   (batch input):       BatchOpening { PreState pre; DatasetInfo dataset; ExampleOpening example }
 *     code 1-9 (op):                InputOpening[] (one per input of the entry, in order)
 */

const ENTRY_COMPONENTS = [
  { name: "entry", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "code", type: "uint8" },
  { name: "inputs", type: "uint32[]" },
  { name: "attrs", type: "int64[]" },
  { name: "width", type: "uint8" },
  { name: "dims", type: "uint32[]" },
] as const;
const HEADER_COMPONENTS = [
  { name: "entries", type: "uint32" },
  { name: "stateTensors", type: "uint32" },
  { name: "batchSize", type: "uint32" },
  { name: "firstOpTensorId", type: "uint32" },
  { name: "stateOutEntries", type: "uint32[]" },
] as const;
const STATE_TENSOR_COMPONENTS = [
  { name: "index", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "width", type: "uint8" },
  { name: "dims", type: "uint32[]" },
] as const;
const RECORD_COMPONENTS = [
  { name: "entry", type: "uint32" },
  { name: "tensorId", type: "uint32" },
  { name: "code", type: "uint8" },
  { name: "inputs", type: "uint32[]" },
  { name: "attrs", type: "int64[]" },
  { name: "outputRoot", type: "bytes32" },
] as const;
const PRE_STATE_COMPONENTS = [
  { name: "specHash", type: "bytes32" },
  { name: "step", type: "uint64" },
  { name: "dataCursor", type: "uint64" },
  { name: "rng", type: "bytes32" },
  { name: "path", type: "bytes32[]" },
] as const;

export const PROGRAM_ENTRY = { type: "tuple", components: ENTRY_COMPONENTS } as const;
export const PROGRAM_HEADER = { type: "tuple", components: HEADER_COMPONENTS } as const;
const PROGRAM_STATE_TENSOR = { type: "tuple", components: STATE_TENSOR_COMPONENTS } as const;
const RECORD = { type: "tuple", components: RECORD_COMPONENTS } as const;
const PRE_STATE = { type: "tuple", components: PRE_STATE_COMPONENTS } as const;

const POST_ANCHOR_OPENING = {
  name: "opening",
  type: "tuple",
  components: [
    { name: "pre", ...PRE_STATE },
    { name: "stateOut", type: "tuple[]", components: [{ name: "record", ...RECORD }, { name: "path", type: "bytes32[]" }] },
  ],
} as const;
const BATCH_OPENING = {
  name: "opening",
  type: "tuple",
  components: [
    { name: "pre", ...PRE_STATE },
    {
      name: "dataset",
      type: "tuple",
      components: [
        { name: "count", type: "uint32" },
        { name: "features", type: "uint32" },
        { name: "classes", type: "uint32" },
        { name: "merkleRoot", type: "bytes32" },
      ],
    },
    { name: "example", type: "tuple", components: [{ name: "pixels", type: "bytes" }, { name: "label", type: "uint8" }, { name: "path", type: "bytes32[]" }] },
  ],
} as const;
const INPUT_OPENINGS = {
  name: "inputs",
  type: "tuple[]",
  components: [
    { name: "state", ...PROGRAM_STATE_TENSOR },
    { name: "tensorRoot", type: "bytes32" },
    { name: "producer", ...PROGRAM_ENTRY },
    { name: "record", ...RECORD },
    { name: "programPath", type: "bytes32[]" },
    { name: "rootPath", type: "bytes32[]" },
    { name: "leaves", type: "tuple[]", components: [{ name: "data", type: "bytes" }, { name: "siblings", type: "bytes32[]" }] },
  ],
} as const;

const ENVELOPE = [
  { name: "entry", ...PROGRAM_ENTRY },
  { name: "entryPath", type: "bytes32[]" },
  { name: "header", ...PROGRAM_HEADER },
  { name: "headerPath", type: "bytes32[]" },
] as const;

/** ABI parameters of each encoding (the tuple of PostAnchorOperands / BatchOperands / OpOperands). */
export const POST_ANCHOR_OPERANDS_ABI = [...ENVELOPE, POST_ANCHOR_OPENING] as const;
export const BATCH_OPERANDS_ABI = [...ENVELOPE, BATCH_OPENING] as const;
export const OP_OPERANDS_ABI = [...ENVELOPE, INPUT_OPENINGS] as const;

export type ProgramEntryArg = AbiParameterToPrimitiveType<typeof PROGRAM_ENTRY>;
export type ProgramHeaderArg = AbiParameterToPrimitiveType<typeof PROGRAM_HEADER>;
export type ProgramStateTensorArg = AbiParameterToPrimitiveType<typeof PROGRAM_STATE_TENSOR>;
export type RecordArg = AbiParameterToPrimitiveType<typeof RECORD>;
export type PreStateArg = AbiParameterToPrimitiveType<typeof PRE_STATE>;
export type PostAnchorOpeningArg = AbiParameterToPrimitiveType<typeof POST_ANCHOR_OPENING>;
export type BatchOpeningArg = AbiParameterToPrimitiveType<typeof BATCH_OPENING>;
export type InputOpeningArg = AbiParameterToPrimitiveType<typeof INPUT_OPENINGS>[number];

/** What every encoding starts with: the entry, the program header, and their paths to the program root. */
export interface Envelope {
  entry: ProgramEntryArg;
  entryPath: Hex[];
  header: ProgramHeaderArg;
  headerPath: Hex[];
}
/** The typed operands, one variant per settlement kind. */
export type SettlementOperands =
  | (Envelope & { kind: "postAnchor"; opening: PostAnchorOpeningArg })
  | (Envelope & { kind: "batch"; opening: BatchOpeningArg })
  | (Envelope & { kind: "op"; inputs: InputOpeningArg[] });

/** IKernelVerifier.Context, as viem takes it (the term fields are zero except for matmul/col_sum). */
export interface SettlementContext {
  programRoot: Hex;
  datasetRoot: Hex;
  preStateRoot: Hex;
  traceRoot: Hex;
  entry: number;
  element: bigint;
  termLo: bigint;
  termHi: bigint;
  termCount: bigint;
  accIn: bigint;
}

/** IKernelVerifier.Context as an ABI parameter (its keccak256 is the ctx public input of every settle circuit). */
export const CONTEXT_ABI = [{
  type: "tuple",
  components: [
    { name: "programRoot", type: "bytes32" }, { name: "datasetRoot", type: "bytes32" },
    { name: "preStateRoot", type: "bytes32" }, { name: "traceRoot", type: "bytes32" },
    { name: "entry", type: "uint32" }, { name: "element", type: "uint64" },
    { name: "termLo", type: "uint64" }, { name: "termHi", type: "uint64" }, { name: "termCount", type: "uint64" },
    { name: "accIn", type: "int256" },
  ],
}] as const;

import onnxProto from "onnx-proto";

/**
 * A minimal ONNX graph builder over the protobuf types of `onnx-proto`: named nodes, typed initializers,
 * inputs and outputs, serialized to the bytes onnxruntime loads.
 */
const { onnx } = onnxProto;

export const ElemType = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 } as const;
export type ElemTypeName = keyof typeof ElemType;

/** The opset the engine's graphs are written against (ReduceSum/Unsqueeze take axes as inputs). */
export const OPSET = 17;

/**
 * onnxruntime's own operator domain (its "contrib" ops, e.g. MatMulIntegerToFloat), version 1: imported by a
 * graph only when one of its nodes is from it (OnnxGraph.msNode).
 */
export const MS_DOMAIN = "com.microsoft";

/** An attribute: INT (number), INTS, STRING, or FLOAT (`{ float }`: a plain number is always an INT). */
export type AttrValue = number | number[] | string | { readonly float: number };

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  private usesMsDomain = false;

  fresh(prefix: string): string {
    return `${prefix}__${this.counter++}`;
  }

  input(name: string, type: ElemTypeName, dims: readonly number[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemTypeName, dims: readonly number[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A scalar or 1-D constant, deduplicated by value and type. */
  constant(type: ElemTypeName, values: readonly number[], dims: readonly number[] = []): string {
    const key = `${type}:${dims.join("x")}:${values.join(",")}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.fresh("const");
    const t = onnx.TensorProto.create({ name, dataType: ElemType[type], dims: [...dims] });
    if (type === "float32") t.floatData = [...values];
    else if (type === "float64") t.doubleData = [...values];
    else if (type === "int64") t.int64Data = values.map((v) => v);
    // ONNX keeps 8-bit and 32-bit integer constants in int32_data.
    else if (type === "uint8" || type === "int8" || type === "int32") t.int32Data = [...values];
    else throw new TypeError(`unsupported constant type ${type}`);
    this.initializers.push(t);
    this.constants.set(key, name);
    return name;
  }

  node(opType: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodeOutputs(opType, inputs, [out], attrs);
    return out;
  }

  /** A node of onnxruntime's own domain (MS_DOMAIN); an empty input name skips an optional input. */
  msNode(opType: string, inputs: readonly string[], output?: string): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.usesMsDomain = true;
    this.nodeOutputs(opType, inputs, [out], {}, MS_DOMAIN);
    return out;
  }

  /** A node with several outputs, named by the caller (e.g. MaxPool's values and its argmax indices). */
  nodeOutputs(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttrValue> = {}, domain = ""): readonly string[] {
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === "string") return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from(v) });
      if (typeof v === "object" && !Array.isArray(v)) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.float });
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v });
      return onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v });
    });
    this.nodes.push(onnx.NodeProto.create({ opType, ...(domain ? { domain } : {}), input: [...inputs], output: [...outputs], name: this.fresh(`n_${opType}`), attribute }));
    return outputs;
  }

  /** Serializes the model (IR version 8, the given opset; MS_DOMAIN's version 1 where a node is from it). */
  encode(name: string): Uint8Array {
    const graph = onnx.GraphProto.create({ name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "veritrain",
      opsetImport: [
        onnx.OperatorSetIdProto.create({ domain: "", version: OPSET }),
        ...(this.usesMsDomain ? [onnx.OperatorSetIdProto.create({ domain: MS_DOMAIN, version: 1 })] : []),
      ],
      graph,
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElemTypeName, dims: readonly number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: ElemType[type],
        // A negative dimension is symbolic (the batch of an exported inference graph).
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(d < 0 ? { dimParam: "N" } : { dimValue: d })) }),
      }),
    }),
  });
}

/**
 * A small helper for writing ONNX graphs with onnx-proto: named initializers,
 * `const.*` constants, nodes with automatic output names, and serialisation.
 * Node and tensor order follow the calls, so the same calls give the same bytes.
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** Opset 20: LayerNormalization (17+) and Gelu with `approximate` (20) are native ops. */
export const OPSET = 20;
const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;

export type Dim = number | string;
export type AttrValue = number | number[] | string | { float: number };

export class GraphBuilder {
  private nodes: onnxProto.onnx.INodeProto[] = [];
  private initializers: onnxProto.onnx.ITensorProto[] = [];
  private inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;
  private constants = new Set<string>();

  constructor(private readonly name: string) {}

  /** A learnable float32 initializer (little-endian rawData). */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (data.length !== dims.reduce((a, b) => a * b, 1))
      throw new Error(`${name}: ${data.length} values for dims ${dims}`);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: floatBytes(data) });
    return name;
  }

  /** A float constant (scalar when dims is []), deduplicated by label, named `const.f32.<label>`. */
  constFloat(label: string, values: number[], dims: number[] = []): string {
    return this.constant(`f32.${label}`, FLOAT, dims, floatBytes(Float32Array.from(values)));
  }

  /** An int64 constant (scalar when dims is []), deduplicated by label, named `const.i64.<label>`. */
  constInt(label: string, values: number[], dims: number[] = [values.length]): string {
    const bytes = new Uint8Array(new BigInt64Array(values.map((v) => BigInt(v))).buffer);
    return this.constant(`i64.${label}`, INT64, dims, bytes);
  }

  private constant(label: string, dataType: number, dims: number[], rawData: Uint8Array): string {
    const name = `const.${label}`;
    if (!this.constants.has(name)) {
      this.constants.add(name);
      this.initializers.push({ name, dims, dataType, rawData });
    }
    return name;
  }

  input(name: string, type: "float" | "int64" | "bool", dims: Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: "float" | "int64", dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a node; returns its output names (generated unless given). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs?: string[] | number): string[] {
    const outs = Array.isArray(outputs)
      ? outputs
      : Array.from({ length: outputs ?? 1 }, (_, i) => `${op.toLowerCase()}_${this.counter}${i ? `_${i}` : ""}`);
    this.nodes.push({
      name: `${op}_${this.counter++}`,
      opType: op,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** Single-output shorthand for `node`. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output ? [output] : 1)[0]!;
  }

  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: "spice-toolkit",
      opsetImport: [{ domain: "", version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function floatBytes(data: Float32Array): Uint8Array {
  // Copy so the bytes never alias a larger buffer; Float32Array is little-endian on every supported CPU.
  return new Uint8Array(Float32Array.from(data).buffer);
}

function valueInfo(name: string, type: "float" | "int64" | "bool", dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  const elemType = type === "float" ? FLOAT : type === "int64" ? INT64 : BOOL;
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === "object") return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INT, i: v };
}

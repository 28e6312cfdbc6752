/**
 * Read and rewrite the float32 initializers of an ONNX model: what the learner uses
 * to export trained weights into the same graph (and to hot-swap a session).
 */
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
const FLOAT = 1;

export type Initializer = { dims: number[]; data: Float32Array };

const toNumber = (v: number | { toNumber(): number }) => (typeof v === "number" ? v : v.toNumber());

/** Every float32 initializer holding rawData, by name (the `const.*` ones included). */
export function readInitializers(onnxBytes: Uint8Array): Map<string, Initializer> {
  const model = onnx.ModelProto.decode(onnxBytes);
  const out = new Map<string, Initializer>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== FLOAT || !t.rawData || !t.name) continue;
    // Copy (Uint8Array.from, not slice: on a Buffer slice is a view): the decoded
    // bytes sit inside the whole file at an arbitrary, unaligned offset.
    const bytes = Uint8Array.from(t.rawData);
    out.set(t.name, {
      dims: (t.dims ?? []).map(toNumber),
      data: new Float32Array(bytes.buffer, 0, bytes.byteLength / 4),
    });
  }
  return out;
}

/**
 * The same graph with new values for the named initializers. Throws on an unknown
 * name or a shape or length that differs from the original: the graph must not change.
 */
export function replaceInitializers(onnxBytes: Uint8Array, replacements: Map<string, Initializer>): Uint8Array {
  const model = onnx.ModelProto.decode(onnxBytes);
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  for (const [name, { dims, data }] of replacements) {
    const t = byName.get(name);
    if (!t || t.dataType !== FLOAT) throw new Error(`no float initializer named ${name}`);
    const want = (t.dims ?? []).map(toNumber);
    if (want.length !== dims.length || want.some((d, i) => d !== dims[i])) {
      throw new Error(`${name}: dims [${dims}] differ from the graph's [${want}]`);
    }
    if (data.length !== want.reduce((a, b) => a * b, 1))
      throw new Error(`${name}: ${data.length} values for dims [${want}]`);
    t.rawData = new Uint8Array(Float32Array.from(data).buffer);
  }
  return onnx.ModelProto.encode(model).finish();
}

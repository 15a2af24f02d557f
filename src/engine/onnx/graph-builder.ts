// A small builder for ONNX graphs: named values, nodes, float initializers, and encoding to a
// ModelProto with the onnx-proto classes (protobufjs), so the bytes come from onnx.proto itself.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** Opset 17, IR version 8: what ONNX Runtime 1.30 accepts and what every op used here is defined in. */
export const OPSET = 17;
export const IR_VERSION = 8;

export type Dim = number | string;

interface ValueInfo {
  name: string;
  elemType: number;
  dims: Dim[];
}

type AttrValue = number | number[] | string;

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, dims: Dim[], elemType = onnx.TensorProto.DataType.FLOAT): string {
    this.inputs.push({ name, elemType, dims });
    return name;
  }

  /** Marks `value` as a graph output named `name` (an Identity when the names differ). */
  output(value: string, name: string, dims: Dim[]): void {
    if (value !== name) this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: this.fresh('out') });
    this.outputs.push({ name, elemType: onnx.TensorProto.DataType.FLOAT, dims });
  }

  /** A float32 initializer. Large ones are stored as raw bytes (no per-element varint encoding). */
  floats(hint: string, dims: number[], data: Float32Array | readonly number[]): string {
    const name = this.fresh(hint);
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw });
    return name;
  }

  /** An int64 initializer (shapes, pads, slice bounds), shared by value. */
  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const key = `i64:${dims.join('x')}:${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.fresh('i64');
    const raw = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: raw });
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant, shared by value. */
  scalar(value: number): string {
    const key = `f32:${value}`;
    const known = this.constants.get(key);
    if (known) return known;
    const name = this.floats('c', [], [value]);
    this.constants.set(key, name);
    return name;
  }

  /** Adds a node and returns its outputs. */
  nodeN(opType: string, inputs: string[], outputCount: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    const attribute = Object.entries(attrs).map(([name, v]) => attribute1(name, v));
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.fresh(`n_${opType}`), attribute });
    return outputs;
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    return this.nodeN(opType, inputs, 1, attrs)[0];
  }

  encode(): Uint8Array {
    const valueInfo = (v: ValueInfo): onnxProto.onnx.IValueInfoProto => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.elemType,
          shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'stylize',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute1(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (Number.isInteger(v)) return { name, type: T.INT, i: v };
  return { name, type: T.FLOAT, f: v };
}

import { tf } from "@hdpo/tensor";
import type { DecoderModel, PlainWeight } from "../model/decoder-model";

/** Where each parameter sits in one flat Float32Array: the model's parameter order, row-major. */
export interface ParameterLayout {
  names: string[];
  shapes: number[][];
  offsets: number[];
  /** Total number of values. */
  size: number;
}

/** The layout of `model`'s parameters (the order of `model.parameters`). */
export function parameterLayout(model: DecoderModel): ParameterLayout {
  const names: string[] = [];
  const shapes: number[][] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const [name, variable] of model.parameters) {
    names.push(name);
    shapes.push([...variable.shape]);
    offsets.push(size);
    size += variable.size;
  }
  return { names, shapes, offsets, size };
}

/** Every parameter of `model` copied into one fresh flat array (a plain, transferable message). */
export function packParameters(model: DecoderModel, layout: ParameterLayout): Float32Array {
  const flat = new Float32Array(layout.size);
  layout.names.forEach((name, i) => {
    const variable = model.parameters.get(name)!;
    flat.set(variable.dataSync() as Float32Array, layout.offsets[i]!);
  });
  return flat;
}

/** Assigns a flat array (from `packParameters`) to `model`'s variables. */
export function assignParameters(model: DecoderModel, layout: ParameterLayout, flat: Float32Array): void {
  layout.names.forEach((name, i) => {
    const variable = model.parameters.get(name)!;
    const offset = layout.offsets[i]!;
    const value = tf.tensor(flat.subarray(offset, offset + variable.size), layout.shapes[i]!, "float32");
    variable.assign(value);
    value.dispose();
  });
}

/** The flat array split back into named plain weights (copies). */
export function unpackParameters(layout: ParameterLayout, flat: Float32Array): Map<string, PlainWeight> {
  const out = new Map<string, PlainWeight>();
  layout.names.forEach((name, i) => {
    const shape = layout.shapes[i]!;
    const offset = layout.offsets[i]!;
    const size = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, data: flat.slice(offset, offset + size) });
  });
  return out;
}

/**
 * Checks the attributes of a convolution gradient kernel and derives its geometry.
 *
 * Everything a kernel cannot do is rejected here with an Error that names the kernel, the
 * attribute, the value and what to use instead, so that no unsupported case can quietly
 * produce a wrong gradient.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** Conv2D geometry as tfjs computes it (padding, output size, strides, dilations). */
export type ConvInfo = tf.backend_util.Conv2DInfo;

/** Error for an attribute value a gradient kernel does not support. */
export function unsupported(kernel: string, attr: string, value: unknown, fix: string): Error {
  return new Error(`${kernel} (gaf-lab wasm kernel) does not support ${attr}=${JSON.stringify(value)}: ${fix}`);
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/** [h, w] from a number or a pair of positive integers. */
function pair(kernel: string, attr: string, v: unknown): [number, number] {
  if (isPositiveInt(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && isPositiveInt(v[0]) && isPositiveInt(v[1])) return [v[0], v[1]];
  throw unsupported(kernel, attr, v, 'give a positive integer or a pair [height, width] of positive integers.');
}

/** The padding forms tfjs conv ops accept, NHWC explicit form included. */
export type ConvPad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

function checkPad(kernel: string, pad: unknown, dimRoundingMode: unknown): ConvPad {
  if (dimRoundingMode !== undefined && dimRoundingMode !== null && !['floor', 'round', 'ceil'].includes(dimRoundingMode as string)) {
    throw unsupported(kernel, 'dimRoundingMode', dimRoundingMode, "use 'floor', 'round', 'ceil' or leave it unset.");
  }
  const rounding = dimRoundingMode !== undefined && dimRoundingMode !== null;
  if (pad === 'same' || pad === 'valid') {
    if (rounding)
      throw unsupported(kernel, 'pad', pad, `dimRoundingMode='${String(dimRoundingMode)}' needs a numeric or explicit pad (as in tfjs).`);
    return pad;
  }
  if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0) throw unsupported(kernel, 'pad', pad, 'a numeric pad must be a non-negative integer.');
    return pad;
  }
  if (
    Array.isArray(pad) &&
    pad.length === 4 &&
    pad.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0))
  ) {
    const p = pad as [number, number][];
    if (p[0]![0] !== 0 || p[0]![1] !== 0 || p[3]![0] !== 0 || p[3]![1] !== 0) {
      throw unsupported(
        kernel,
        'pad',
        pad,
        'explicit padding applies to height and width only: use [[0,0],[top,bottom],[left,right],[0,0]] (NHWC).',
      );
    }
    return pad as ConvPad;
  }
  throw unsupported(kernel, 'pad', pad, "use 'same', 'valid', a non-negative integer, or [[0,0],[top,bottom],[left,right],[0,0]].");
}

function checkDataFormat(kernel: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== null && dataFormat !== 'NHWC') {
    throw unsupported(kernel, 'dataFormat', dataFormat, "only 'NHWC' (channels last) is implemented; transpose NCHW data to NHWC first.");
  }
}

function checkFloat32(kernel: string, name: string, t: tf.TensorInfo): void {
  if (t.dtype !== 'float32') throw unsupported(kernel, `dtype of ${name}`, t.dtype, `${name} must be float32; cast it first.`);
}

function checkRank4(kernel: string, name: string, shape: readonly number[]): void {
  if (shape.length !== 4)
    throw new Error(
      `${kernel} (gaf-lab wasm kernel): ${name} must be rank 4 [batch, height, width, channels], got shape [${shape.join(', ')}].`,
    );
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/**
 * Validates the attributes shared by the conv gradient kernels and returns the forward
 * convolution's geometry, checking that `dyShape` is that convolution's output shape.
 * @param depthwise true for the depthwise kernels (filter [fh, fw, C, multiplier]).
 */
export function convGradGeometry(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  dyShape: readonly number[],
  attrs: tf.NamedAttrMap,
  depthwise: boolean,
): ConvInfo {
  checkDataFormat(kernel, attrs['dataFormat']);
  checkRank4(kernel, 'input x', xShape);
  checkRank4(kernel, 'filter', filterShape);
  checkRank4(kernel, 'dy', dyShape);
  if (!filterShape.every(isPositiveInt))
    throw unsupported(kernel, 'filterShape', filterShape, 'all filter dimensions must be positive integers.');
  const strides = pair(kernel, 'strides', attrs['strides']);
  const dilations =
    depthwise && attrs['dilations'] !== undefined && attrs['dilations'] !== null
      ? pair(kernel, 'dilations', attrs['dilations'])
      : ([1, 1] as [number, number]);
  if (!depthwise && attrs['dilations'] !== undefined && attrs['dilations'] !== null) {
    const d = pair(kernel, 'dilations', attrs['dilations']);
    if (d[0] !== 1 || d[1] !== 1)
      throw unsupported(
        kernel,
        'dilations',
        attrs['dilations'],
        'Conv2D gradients are defined for dilation 1 only (tfjs asserts this too).',
      );
  }
  if ((dilations[0] > 1 || dilations[1] > 1) && (strides[0] > 1 || strides[1] > 1)) {
    throw unsupported(
      kernel,
      'dilations',
      attrs['dilations'],
      `dilation > 1 together with strides ${shapeText(strides)} > 1 is not defined (TensorFlow rejects it too); use stride 1 with dilation, or dilation 1.`,
    );
  }
  const dimRoundingMode = attrs['dimRoundingMode'];
  const pad = checkPad(kernel, attrs['pad'], dimRoundingMode);
  if (xShape[3] !== filterShape[2]) {
    throw new Error(
      `${kernel} (gaf-lab wasm kernel): input channels ${xShape[3]} of x ${shapeText(xShape)} do not match filter in-channels ${filterShape[2]} of ${shapeText(filterShape)}.`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    (dimRoundingMode ?? undefined) as 'floor' | 'round' | 'ceil' | undefined,
    depthwise,
    'channelsLast',
  );
  const want = info.outShape;
  if (want.some((v, i) => v !== dyShape[i])) {
    throw new Error(
      `${kernel} (gaf-lab wasm kernel): dy has shape ${shapeText(dyShape)} but the forward convolution of x ${shapeText(xShape)} with filter ${shapeText(filterShape)}, strides ${shapeText(strides)}, pad ${JSON.stringify(pad)} outputs ${shapeText(want)}.`,
    );
  }
  if (info.outHeight <= 0 || info.outWidth <= 0) {
    throw new Error(
      `${kernel} (gaf-lab wasm kernel): the convolution has an empty output ${shapeText(want)}; the filter is larger than the padded input.`,
    );
  }
  return info;
}

/** Rejects non-float32 tensors with a clear message. */
export function requireFloat32(kernel: string, tensors: Record<string, tf.TensorInfo | undefined>): Record<string, tf.TensorInfo> {
  const out: Record<string, tf.TensorInfo> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t === undefined) throw new Error(`${kernel} (gaf-lab wasm kernel): missing input '${name}'.`);
    checkFloat32(kernel, name, t);
    out[name] = t;
  }
  return out;
}

/** Reads a shape attribute (filterShape, inputShape) and checks it is 4 positive integers. */
export function shapeAttr(kernel: string, attrs: tf.NamedAttrMap, name: string): number[] {
  const v: unknown = attrs[name];
  if (!Array.isArray(v) || v.length !== 4 || !(v as unknown[]).every(isPositiveInt)) {
    throw unsupported(kernel, name, v, `${name} must be 4 positive integers (NHWC / [fh, fw, in, out]).`);
  }
  return v as number[];
}

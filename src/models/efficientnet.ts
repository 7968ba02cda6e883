/**
 * EfficientNet-B0 as in the reference CIFAR zoo (the version the GAF authors' code uses):
 * stem 3x3 conv(32) stride 1 + BN + swish; 16 MBConv blocks; global average pool; dropout
 * 0.2 (training only); Linear(320, numClasses). No 1280-wide head conv.
 * MBConv(in, out, k, stride, expansion e):
 * - e > 1: 1x1 expand to e*in + BN + swish (e = 1: the input is used directly);
 * - depthwise kxk (padding (k-1)/2) + BN + swish;
 * - squeeze-excitation on the expanded width with floor(0.25 * in) squeeze channels
 *   (1x1 convs WITH bias, swish, sigmoid, multiply);
 * - 1x1 project + BN; add the input when stride = 1 and in = out.
 * No conv bias outside the squeeze-excitation.
 *
 * Differences from the reference, none of which change what the model computes:
 * - its expansion-1 block still creates a 1x1 conv(32->32) + BN(32) that forward never uses;
 *   those 32*32 + 2*32 = 1,088 dead parameters are in its parameter count (3,599,686 for
 *   10 classes) but not here (3,598,598);
 * - its drop-connect rate is `0.2 * b / blocks` with b never incremented, i.e. always 0,
 *   so drop-connect is omitted here.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** (expansion, out planes, blocks, kernel, stride of the first block) per stage. */
export const EFFICIENTNET_B0_CONFIG: [number, number, number, number, number][] = [
  [1, 16, 1, 3, 1],
  [6, 24, 2, 3, 2],
  [6, 40, 2, 5, 2],
  [6, 80, 3, 3, 2],
  [6, 112, 3, 5, 1],
  [6, 192, 4, 5, 2],
  [6, 320, 1, 3, 1],
];

const SE_RATIO = 0.25;
const DROPOUT_RATE = 0.2;

function mbconv(b: NetBuilder, x: Sym, outPlanes: number, kernel: number, stride: number, expansion: number, name: string): Sym {
  const inPlanes = x.shape[3] as number;
  const planes = expansion * inPlanes;
  let out = x;
  if (expansion !== 1) {
    out = b.act(b.convBn(x, { filters: planes, kernel: 1, name: `${name}_conv1` }), 'swish', `${name}_swish1`);
  }
  out = b.convBn(out, { filters: planes, kernel, stride, padding: (kernel - 1) / 2, groups: planes, name: `${name}_conv2` });
  out = b.act(out, 'swish', `${name}_swish2`);
  const sePlanes = Math.floor(inPlanes * SE_RATIO);
  let w = b.globalAvgPoolKeep(out, `${name}_se_pool`);
  w = b.act(b.conv(w, { filters: sePlanes, kernel: 1, bias: true, name: `${name}_se1` }), 'swish', `${name}_se_swish`);
  w = b.act(b.conv(w, { filters: planes, kernel: 1, bias: true, name: `${name}_se2` }), 'sigmoid', `${name}_se_sigmoid`);
  out = b.multiply([out, w], `${name}_se_scale`);
  out = b.convBn(out, { filters: outPlanes, kernel: 1, name: `${name}_conv3` });
  if (stride === 1 && inPlanes === outPlanes) out = b.add([out, x], `${name}_add`);
  return out;
}

/** Builds EfficientNet-B0 for CIFAR. */
export function buildEfficientNetB0(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.act(b.convBn(input, { filters: 32, kernel: 3, padding: 1, name: 'conv1' }), 'swish', 'conv1_swish');
  let k = 0;
  for (const [expansion, outPlanes, blocks, kernel, stride] of EFFICIENTNET_B0_CONFIG) {
    for (let i = 0; i < blocks; i++) {
      x = mbconv(b, x, outPlanes, kernel, i === 0 ? stride : 1, expansion, `block${k++}`);
    }
  }
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dropout(x, DROPOUT_RATE, 'dropout');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: 'EfficientNetB0' });
}

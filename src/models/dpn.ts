/**
 * Dual Path Network DPN-26 as in the reference CIFAR zoo: stem 3x3 conv(64) + BN + ReLU;
 * four stages of 2 blocks (strides 1, 2, 2, 2). Block: 1x1 conv + BN + ReLU, 3x3 grouped
 * conv (32 groups) + BN + ReLU, 1x1 conv to out+dense channels + BN. The shortcut is a
 * 1x1 conv + BN in a stage's first block, the identity otherwise. With d = out planes the
 * result is ReLU(concat[x[:d] + y[:d], x[d:], y[d:]]): a residual path of d channels and
 * a densely growing path. Global average pool, linear.
 * The reference hard-codes 10 classes; here the head follows numClasses.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ChannelSlice } from './custom-layers';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** A DPN design (the reference's dictionary). */
export interface DpnConfig {
  inPlanes: readonly number[];
  outPlanes: readonly number[];
  blocks: readonly number[];
  denseDepth: readonly number[];
}

export const DPN26: DpnConfig = {
  inPlanes: [96, 192, 384, 768],
  outPlanes: [256, 512, 1024, 2048],
  blocks: [2, 2, 2, 2],
  denseDepth: [16, 32, 24, 128],
};

function slice(x: Sym, start: number, size: number, name: string): Sym {
  return new ChannelSlice({ start, size, name }).apply(x) as Sym;
}

function block(
  b: NetBuilder,
  x: Sym,
  inPlanes: number,
  outPlanes: number,
  dense: number,
  stride: number,
  first: boolean,
  name: string,
): Sym {
  let out = b.convBnRelu(x, { filters: inPlanes, kernel: 1, name: `${name}_conv1` });
  out = b.convBnRelu(out, { filters: inPlanes, kernel: 3, stride, padding: 1, groups: 32, name: `${name}_conv2` });
  out = b.convBn(out, { filters: outPlanes + dense, kernel: 1, name: `${name}_conv3` });
  const short = first ? b.convBn(x, { filters: outPlanes + dense, kernel: 1, stride, name: `${name}_shortcut` }) : x;
  const d = outPlanes;
  const cs = short.shape[3] as number;
  const residual = b.add([slice(short, 0, d, `${name}_xres`), slice(out, 0, d, `${name}_yres`)], `${name}_add`);
  const merged = b.concat([residual, slice(short, d, cs - d, `${name}_xdense`), slice(out, d, dense, `${name}_ydense`)], `${name}_cat`);
  return b.relu(merged, `${name}_out`);
}

/** Builds a DPN for CIFAR. */
export function buildDpn(cfg: DpnConfig, opts: BuildOptions, name: string): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 3, padding: 1, name: 'conv1' });
  const strides = [1, 2, 2, 2];
  cfg.blocks.forEach((n, stage) => {
    for (let i = 0; i < n; i++) {
      x = block(
        b,
        x,
        cfg.inPlanes[stage],
        cfg.outPlanes[stage],
        cfg.denseDepth[stage],
        i === 0 ? strides[stage] : 1,
        i === 0,
        `layer${stage + 1}_${i}`,
      );
    }
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name });
}

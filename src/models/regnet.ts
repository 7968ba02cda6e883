/**
 * RegNetX-200MF as in the reference CIFAR zoo: 3x3 stem conv(64) stride 1 + BN + ReLU;
 * four stages (depths 1,1,4,7; widths 24,56,152,368; strides 1,1,2,2) of X blocks:
 * 1x1 conv + BN + ReLU, 3x3 grouped conv (group width 8) + BN + ReLU, 1x1 conv + BN, plus
 * shortcut (1x1 conv + BN on stride or width change), ReLU; global average pool, linear.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** A RegNet design (the reference's dictionary). */
export interface RegNetConfig {
  depths: readonly number[];
  widths: readonly number[];
  strides: readonly number[];
  groupWidth: number;
  bottleneckRatio: number;
  /** Squeeze-excitation ratio (0 = none, RegNetX). */
  seRatio: number;
}

export const REGNETX_200MF: RegNetConfig = {
  depths: [1, 1, 4, 7],
  widths: [24, 56, 152, 368],
  strides: [1, 1, 2, 2],
  groupWidth: 8,
  bottleneckRatio: 1,
  seRatio: 0,
};

function block(b: NetBuilder, x: Sym, wOut: number, stride: number, cfg: RegNetConfig, name: string): Sym {
  const wIn = x.shape[3] as number;
  const wB = Math.round(wOut * cfg.bottleneckRatio);
  let out = b.convBnRelu(x, { filters: wB, kernel: 1, name: `${name}_conv1` });
  out = b.convBnRelu(out, { filters: wB, kernel: 3, stride, padding: 1, groups: wB / cfg.groupWidth, name: `${name}_conv2` });
  if (cfg.seRatio > 0) {
    // The reference sizes the squeeze from the block's input width.
    const wSe = Math.round(wIn * cfg.seRatio);
    let w = b.globalAvgPoolKeep(out, `${name}_se_pool`);
    w = b.relu(b.conv(w, { filters: wSe, kernel: 1, bias: true, name: `${name}_se1` }), `${name}_se_relu`);
    w = b.act(b.conv(w, { filters: wB, kernel: 1, bias: true, name: `${name}_se2` }), 'sigmoid', `${name}_se_sigmoid`);
    out = b.multiply([out, w], `${name}_se_scale`);
  }
  out = b.convBn(out, { filters: wOut, kernel: 1, name: `${name}_conv3` });
  const short = stride !== 1 || wIn !== wOut ? b.convBn(x, { filters: wOut, kernel: 1, stride, name: `${name}_shortcut` }) : x;
  return b.relu(b.add([out, short], `${name}_add`), `${name}_out`);
}

/** Builds a RegNet for CIFAR. */
export function buildRegNet(cfg: RegNetConfig, opts: BuildOptions, name: string): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 3, padding: 1, name: 'conv1' });
  cfg.depths.forEach((depth, stage) => {
    for (let i = 0; i < depth; i++) {
      x = block(b, x, cfg.widths[stage], i === 0 ? cfg.strides[stage] : 1, cfg, `layer${stage + 1}_${i}`);
    }
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name });
}

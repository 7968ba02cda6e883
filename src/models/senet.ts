/**
 * SENet-18 as in the reference CIFAR zoo: stem 3x3 conv(64) + BN + ReLU, then
 * pre-activation blocks [2,2,2,2] (BN-ReLU; projection shortcut = bare 1x1 conv from that
 * pre-activation; conv3x3; BN-ReLU; conv3x3) with squeeze-excitation before the addition
 * (1x1 convs WITH bias to planes/16 and back, ReLU, sigmoid); global average pool, linear.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

function seBlock(b: NetBuilder, x: Sym, planes: number, stride: number, name: string): Sym {
  const pre = b.relu(b.bn(x, `${name}_bn1`), `${name}_relu1`);
  const needsProjection = stride !== 1 || x.shape[3] !== planes;
  const short = needsProjection ? b.conv(pre, { filters: planes, kernel: 1, stride, bias: false, name: `${name}_shortcut` }) : x;
  let out = b.conv(pre, { filters: planes, kernel: 3, stride, padding: 1, bias: false, name: `${name}_conv1` });
  out = b.relu(b.bn(out, `${name}_bn2`), `${name}_relu2`);
  out = b.conv(out, { filters: planes, kernel: 3, padding: 1, bias: false, name: `${name}_conv2` });
  let w = b.globalAvgPoolKeep(out, `${name}_se_pool`);
  w = b.relu(b.conv(w, { filters: Math.floor(planes / 16), kernel: 1, bias: true, name: `${name}_fc1` }), `${name}_se_relu`);
  w = b.act(b.conv(w, { filters: planes, kernel: 1, bias: true, name: `${name}_fc2` }), 'sigmoid', `${name}_se_sigmoid`);
  out = b.multiply([out, w], `${name}_se_scale`);
  return b.add([out, short], `${name}_add`);
}

/** Builds SENet-18 for CIFAR. */
export function buildSENet18(opts: BuildOptions): tf.LayersModel {
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let x = b.convBnRelu(input, { filters: 64, kernel: 3, padding: 1, name: 'conv1' });
  const planes = [64, 128, 256, 512];
  const strides = [1, 2, 2, 2];
  planes.forEach((p, stage) => {
    for (let i = 0; i < 2; i++) x = seBlock(b, x, p, i === 0 ? strides[stage] : 1, `layer${stage + 1}_${i}`);
  });
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name: 'SENet18' });
}

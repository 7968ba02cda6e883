/**
 * DenseNet-BC as in the reference CIFAR zoo: 3x3 stem conv to 2*growth channels; dense
 * blocks of bottleneck layers (BN-ReLU-conv1x1(4*growth)-BN-ReLU-conv3x3(growth), output
 * concatenated in front of the input); transitions BN-ReLU-conv1x1(floor(C/2))-avgpool2;
 * final BN-ReLU, global average pool, linear. No conv has a bias.
 * DenseNet121 = blocks [6,12,24,16], growth 32; densenet_cifar = same blocks, growth 12.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { BuildOptions, NetBuilder, Sym } from './layers';

/** Configuration of a DenseNet. */
export interface DenseNetConfig {
  blocks: readonly number[];
  growth: number;
  /** Transition compression; the reference uses 0.5. */
  reduction?: number;
}

function bottleneck(b: NetBuilder, x: Sym, growth: number, name: string): Sym {
  let out = b.relu(b.bn(x, `${name}_bn1`), `${name}_relu1`);
  out = b.conv(out, { filters: 4 * growth, kernel: 1, bias: false, name: `${name}_conv1` });
  out = b.relu(b.bn(out, `${name}_bn2`), `${name}_relu2`);
  out = b.conv(out, { filters: growth, kernel: 3, padding: 1, bias: false, name: `${name}_conv2` });
  return b.concat([out, x], `${name}_cat`);
}

function transition(b: NetBuilder, x: Sym, outPlanes: number, name: string): Sym {
  let out = b.relu(b.bn(x, `${name}_bn`), `${name}_relu`);
  out = b.conv(out, { filters: outPlanes, kernel: 1, bias: false, name: `${name}_conv` });
  return b.avgPool(out, 2, 2, `${name}_pool`);
}

/** Builds a DenseNet-BC. */
export function buildDenseNet(cfg: DenseNetConfig, opts: BuildOptions, name: string): tf.LayersModel {
  const reduction = cfg.reduction ?? 0.5;
  const b = new NetBuilder(opts);
  const input = tf.input({ shape: opts.inputShape, name: 'input' });
  let planes = 2 * cfg.growth;
  let x = b.conv(input, { filters: planes, kernel: 3, padding: 1, bias: false, name: 'conv1' });
  cfg.blocks.forEach((n, stage) => {
    for (let i = 0; i < n; i++) x = bottleneck(b, x, cfg.growth, `dense${stage + 1}_${i}`);
    planes += n * cfg.growth;
    if (stage < cfg.blocks.length - 1) {
      planes = Math.floor(planes * reduction);
      x = transition(b, x, planes, `trans${stage + 1}`);
    }
  });
  x = b.relu(b.bn(x, 'bn'), 'relu');
  x = b.globalAvgPool(x, 'avgpool');
  x = b.dense(x, opts.numClasses, 'linear');
  return tf.model({ inputs: input, outputs: x, name });
}

/**
 * Every model's trainable parameter count, for 10 and 100 classes, checked three ways:
 * 1. against the reference's counts (from instantiating the reference's
 *    PyTorch models) where that table has the model;
 * 2. against a count derived here by arithmetic from the architecture description alone
 *    (conv = k*k*(cin/groups)*cout [+ cout bias], BN = 2*C (gamma, beta), Linear = in*out + out),
 *    which is independent of the tfjs code: the derivations are first checked against the
 *    reference table, then used for the models the table lacks;
 * 3. against the cached counts that `listModels()` reports without building.
 * "Trainable" follows PyTorch: BN moving mean/variance are not counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel, listModels, countTrainableParams } from '../src/models/index';

// ---------------------------------------------------------------------------------------
// Arithmetic building blocks.
const conv = (k: number, cin: number, cout: number, o: { bias?: boolean; groups?: number } = {}): number =>
  k * k * (cin / (o.groups ?? 1)) * cout + (o.bias ? cout : 0);
const bn = (c: number): number => 2 * c;
const linear = (inF: number, outF: number): number => inF * outF + outF;

// ---------------------------------------------------------------------------------------
// LeNet on 32x32x3 (all layers with bias):
//   conv1 5x5, 3->6:   5*5*3*6   + 6   =    456
//   conv2 5x5, 6->16:  5*5*6*16  + 16  =  2,416     (32 -5+1 = 28, pool 14, -5+1 = 10, pool 5)
//   fc1 16*5*5=400->120: 400*120 + 120 = 48,120
//   fc2 120->84:       120*84   + 84  = 10,164
//   fc3 84->10:        84*10    + 10  =    850
//   total                               62,006  (= the reference table)
// With 100 classes fc3 is 84*100 + 100 = 8,500: 62,006 - 850 + 8,500 = 69,656. (The reference
// hard-codes 10 classes for LeNet, so the table has no 100-class figure.)
const lenet = (k: number): number =>
  conv(5, 3, 6, { bias: true }) + conv(5, 6, 16, { bias: true }) + linear(400, 120) + linear(120, 84) + linear(84, k);

// ---------------------------------------------------------------------------------------
// VGG: every conv 3x3 with bias, + BN; head Linear(512, k).
const VGG: Record<string, (number | 'M')[]> = {
  VGG11: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  VGG13: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  VGG16: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  VGG19: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};
function vgg(cfg: (number | 'M')[], k: number): number {
  let cin = 3;
  let n = 0;
  for (const c of cfg) {
    if (c === 'M') continue;
    n += conv(3, cin, c, { bias: true }) + bn(c);
    cin = c;
  }
  return n + linear(512, k);
}

// ---------------------------------------------------------------------------------------
// ResNets (no conv bias; projection shortcut = 1x1 conv + BN when stride != 1 or channels change).
//
// ResNet18 (CIFAR) worked out:
//   stem conv3x3 3->64: 1,728; BN 128                                    ->     1,856
//   layer1: 2 blocks 64->64, each 2*(3*3*64*64 = 36,864) + 2*128 = 73,984 ->   147,968
//   layer2: block 64->128 s2: 3*3*64*128 = 73,728 + 256 + 3*3*128*128 = 147,456 + 256
//           + shortcut 1*1*64*128 = 8,192 + 256 = 230,144;
//           block 128->128: 2*147,456 + 2*256 = 295,424                  ->   525,568
//   layer3: 256*128*9 = 294,912 + 512 + 589,824 + 512 + 32,768 + 512 = 919,040;
//           2*589,824 + 1,024 = 1,180,672                                -> 2,099,712
//   layer4: 512*256*9 = 1,179,648 + 1,024 + 2,359,296 + 1,024 + 131,072 + 1,024 = 3,674,088;
//           2*2,359,296 + 2,048 = 4,720,640                              -> 8,394,728
//   linear 512*10 + 10 = 5,130
//   total 1,856 + 147,968 + 525,568 + 2,099,712 + 8,394,728 + 5,130 = 11,173,962 (= table);
//   with 100 classes the head is 51,300: 11,173,962 - 5,130 + 51,300 = 11,220,132 (= table).
function basic(cin: number, p: number, s: number): number {
  const short = s !== 1 || cin !== p ? conv(1, cin, p) + bn(p) : 0;
  return conv(3, cin, p) + bn(p) + conv(3, p, p) + bn(p) + short;
}
function bottleneck(cin: number, p: number, s: number): number {
  const short = s !== 1 || cin !== 4 * p ? conv(1, cin, 4 * p) + bn(4 * p) : 0;
  return conv(1, cin, p) + bn(p) + conv(3, p, p) + bn(p) + conv(1, p, 4 * p) + bn(4 * p) + short;
}
function resnetBody(kind: 'basic' | 'bottleneck', blocks: number[]): number {
  const exp = kind === 'basic' ? 1 : 4;
  let cin = 64;
  let n = 0;
  [64, 128, 256, 512].forEach((p, stage) => {
    for (let i = 0; i < blocks[stage]; i++) {
      const s = i === 0 && stage > 0 ? 2 : 1;
      n += kind === 'basic' ? basic(cin, p, s) : bottleneck(cin, p, s);
      cin = p * exp;
    }
  });
  return n; // stages only: stem and head differ between the CIFAR and ImageNet versions
}
const RESNETS: Record<string, ['basic' | 'bottleneck', number[]]> = {
  ResNet18: ['basic', [2, 2, 2, 2]],
  ResNet34: ['basic', [3, 4, 6, 3]],
  ResNet50: ['bottleneck', [3, 4, 6, 3]],
  ResNet101: ['bottleneck', [3, 4, 23, 3]],
  ResNet152: ['bottleneck', [3, 8, 36, 3]],
};
const cifarResnet = (name: string, k: number): number => {
  const [kind, blocks] = RESNETS[name];
  return conv(3, 3, 64) + bn(64) + resnetBody(kind, blocks) + linear(kind === 'basic' ? 512 : 2048, k);
};
// ImageNet (torchvision) ResNets: 7x7 stem (3*49*64 = 9,408) + BN 128, same stages, fc.
// ResNet-18 with 1000 classes: 9,408 + 128 + 11,173,962 - 1,728 - 128 - 5,130 (CIFAR stem and
// head out) + 513,000 (fc 512*1000 + 1000) = 11,689,512, the well-known torchvision figure.
const imagenetResnet = (name: string, k: number): number => {
  const [kind, blocks] = RESNETS[name];
  return conv(7, 3, 64) + bn(64) + resnetBody(kind, blocks) + linear(kind === 'basic' ? 512 : 2048, k);
};

// SE-ResNets for ImageNet: the torchvision body above plus, on every block's residual branch of
// width C (planes for basic blocks, 4*planes for bottlenecks), squeeze-excitation with
// reduction 16: Linear(C, C/16) + Linear(C/16, C), both with bias, = C^2/8 + C/16 + C.
//   C =   64:    512 +  4 +   64 =    580       C =  256:   8,192 +  16 +  256 =   8,464
//   C =  128:  2,048 +  8 +  128 =  2,184       C =  512:  32,768 +  32 +  512 =  33,312
//   C = 1024: 131,072 + 64 + 1024 = 132,160     C = 2048: 524,288 + 128 + 2048 = 526,464
// SE-ResNet-18 (2 basic blocks per stage, C = 64/128/256/512):
//   2*(580 + 2,184 + 8,464 + 33,312) = 89,080; 11,689,512 + 89,080 = 11,778,592 (1000 classes).
// SE-ResNet-50 (3/4/6/3 bottlenecks, C = 256/512/1024/2048):
//   3*8,464 + 4*33,312 + 6*132,160 + 3*526,464 = 25,392 + 133,248 + 792,960 + 1,579,392
//   = 2,530,992; 25,557,032 + 2,530,992 = 28,088,024 (1000 classes).
const seLayer = (c: number): number => linear(c, c / 16) + linear(c / 16, c);
const seImagenetResnet = (name: string, k: number): number => {
  const [kind, blocks] = RESNETS[name];
  const exp = kind === 'basic' ? 1 : 4;
  const se = [64, 128, 256, 512].reduce((n, p, stage) => n + blocks[stage] * seLayer(p * exp), 0);
  return imagenetResnet(name, k) + se;
};

// Pre-activation ResNet18: BN(in) first, bare 1x1 conv projection, no BN after the stem.
function preact(k: number): number {
  let cin = 64;
  let n = conv(3, 3, 64);
  [64, 128, 256, 512].forEach((p, stage) => {
    for (let i = 0; i < 2; i++) {
      const s = i === 0 && stage > 0 ? 2 : 1;
      n += bn(cin) + conv(3, cin, p) + bn(p) + conv(3, p, p) + (s !== 1 || cin !== p ? conv(1, cin, p) : 0);
      cin = p;
    }
  });
  return n + linear(512, k);
}

// SENet18 = PreAct blocks + SE (1x1 convs with bias, p -> p/16 -> p) + BN after the stem.
function senet(k: number): number {
  let cin = 64;
  let n = conv(3, 3, 64) + bn(64);
  [64, 128, 256, 512].forEach((p, stage) => {
    for (let i = 0; i < 2; i++) {
      const s = i === 0 && stage > 0 ? 2 : 1;
      n += bn(cin) + conv(3, cin, p) + bn(p) + conv(3, p, p) + (s !== 1 || cin !== p ? conv(1, cin, p) : 0);
      n += conv(1, p, p / 16, { bias: true }) + conv(1, p / 16, p, { bias: true });
      cin = p;
    }
  });
  return n + linear(512, k);
}

// DenseNet-BC: layer at c channels = BN(c) + conv1x1 c->4g + BN(4g) + conv3x3 4g->g;
// transition = BN(c) + conv1x1 c->floor(c/2); final BN + Linear.
function densenet(blocks: number[], g: number, k: number): number {
  let c = 2 * g;
  let n = conv(3, 3, c);
  blocks.forEach((nb, stage) => {
    for (let i = 0; i < nb; i++) {
      n += bn(c) + conv(1, c, 4 * g) + bn(4 * g) + conv(3, 4 * g, g);
      c += g;
    }
    if (stage < blocks.length - 1) {
      const out = Math.floor(c / 2);
      n += bn(c) + conv(1, c, out);
      c = out;
    }
  });
  return n + bn(c) + linear(c, k);
}

// MobileNet v1: depthwise 3x3 (groups = cin) + BN + pointwise + BN.
function mobilenet(k: number): number {
  const cfg = [64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024];
  let cin = 32;
  let n = conv(3, 3, 32) + bn(32);
  for (const p of cfg) {
    n += conv(3, cin, cin, { groups: cin }) + bn(cin) + conv(1, cin, p) + bn(p);
    cin = p;
  }
  return n + linear(1024, k);
}

// MobileNetV2: expand (even at e = 1) + depthwise + project, conv shortcut on stride 1 with
// a channel change; head conv 320->1280 + BN.
function mobilenetv2(k: number): number {
  const cfg = [
    [1, 16, 1, 1],
    [6, 24, 2, 1],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ];
  let cin = 32;
  let n = conv(3, 3, 32) + bn(32);
  for (const [e, out, nb, stride] of cfg) {
    for (let i = 0; i < nb; i++) {
      const s = i === 0 ? stride : 1;
      const p = e * cin;
      n += conv(1, cin, p) + bn(p) + conv(3, p, p, { groups: p }) + bn(p) + conv(1, p, out) + bn(out);
      if (s === 1 && cin !== out) n += conv(1, cin, out) + bn(out);
      cin = out;
    }
  }
  return n + conv(1, 320, 1280) + bn(1280) + linear(1280, k);
}

// GoogLeNet: every conv with bias + BN; inception = 1x1 | 1x1,3x3 | 1x1,3x3,3x3 | pool,1x1.
function googlenet(k: number): number {
  const cbr = (kk: number, cin: number, cout: number): number => conv(kk, cin, cout, { bias: true }) + bn(cout);
  const mods = [
    [64, 96, 128, 16, 32, 32],
    [128, 128, 192, 32, 96, 64],
    [192, 96, 208, 16, 48, 64],
    [160, 112, 224, 24, 64, 64],
    [128, 128, 256, 24, 64, 64],
    [112, 144, 288, 32, 64, 64],
    [256, 160, 320, 32, 128, 128],
    [256, 160, 320, 32, 128, 128],
    [384, 192, 384, 48, 128, 128],
  ];
  let cin = 192;
  let n = cbr(3, 3, 192);
  for (const [n1, n3r, n3, n5r, n5, np] of mods) {
    n += cbr(1, cin, n1) + cbr(1, cin, n3r) + cbr(3, n3r, n3) + cbr(1, cin, n5r) + cbr(3, n5r, n5) + cbr(3, n5, n5) + cbr(1, cin, np);
    cin = n1 + n3 + n5 + np;
  }
  return n + linear(1024, k);
}

// ShuffleNetV2 net_size 0.5: stages 48/96/192 with 3/7/3 basic units after a down unit;
// head conv 192->1024 + BN.
// The head conv is 192 -> 1024 for ShuffleNetV2 and 192 -> 24 for ShuffleNetV2_head24 (the GAF
// authors' CIFAR-100 file): 10 classes 352,042 - (196,608 + 2,048 + 10,250) + (4,608 + 48 + 250)
// = 148,042; 100 classes 444,292 - (196,608 + 2,048 + 102,500) + (4,608 + 48 + 2,500) = 150,292.
function shufflenetv2(k: number, head = 1024): number {
  const down = (cin: number, out: number): number => {
    const m = out / 2;
    return (
      conv(3, cin, cin, { groups: cin }) +
      bn(cin) +
      conv(1, cin, m) +
      bn(m) +
      conv(1, cin, m) +
      bn(m) +
      conv(3, m, m, { groups: m }) +
      bn(m) +
      conv(1, m, m) +
      bn(m)
    );
  };
  const unit = (c: number): number => {
    const h = c / 2;
    return conv(1, h, h) + bn(h) + conv(3, h, h, { groups: h }) + bn(h) + conv(1, h, h) + bn(h);
  };
  let cin = 24;
  let n = conv(3, 3, 24) + bn(24);
  [
    [48, 3],
    [96, 7],
    [192, 3],
  ].forEach(([c, nb]) => {
    n += down(cin, c) + nb * unit(c);
    cin = c;
  });
  return n + conv(1, 192, head) + bn(head) + linear(head, k);
}

// EfficientNet-B0 (reference's current version): expand only if e > 1; depthwise kxk;
// SE with floor(in/4) channels (1x1 convs with bias); project; Linear(320, k).
// The reference also creates (but never uses) conv1 32->32 + BN(32) in the first (e = 1)
// block: its count is ours + 32*32 + 2*32 = ours + 1,088.
function efficientnet(k: number): number {
  const cfg = [
    [1, 16, 1, 3, 1],
    [6, 24, 2, 3, 2],
    [6, 40, 2, 5, 2],
    [6, 80, 3, 3, 2],
    [6, 112, 3, 5, 1],
    [6, 192, 4, 5, 2],
    [6, 320, 1, 3, 1],
  ];
  let cin = 32;
  let n = conv(3, 3, 32) + bn(32);
  for (const [e, out, nb, kk] of cfg) {
    for (let i = 0; i < nb; i++) {
      const p = e * cin;
      const se = Math.floor(cin * 0.25);
      n +=
        (e !== 1 ? conv(1, cin, p) + bn(p) : 0) +
        conv(kk, p, p, { groups: p }) +
        bn(p) +
        conv(1, p, se, { bias: true }) +
        conv(1, se, p, { bias: true }) +
        conv(1, p, out) +
        bn(out);
      cin = out;
    }
  }
  return n + linear(320, k);
}
const EFFICIENTNET_DEAD_PARAMS = conv(1, 32, 32) + bn(32); // 1,088

// RegNetX-200MF: widths 24/56/152/368, depths 1/1/4/7, strides 1/1/2/2, group width 8.
function regnet(k: number): number {
  let cin = 64;
  let n = conv(3, 3, 64) + bn(64);
  [
    [24, 1, 1],
    [56, 1, 1],
    [152, 4, 2],
    [368, 7, 2],
  ].forEach(([w, d, stride]) => {
    for (let i = 0; i < d; i++) {
      const s = i === 0 ? stride : 1;
      n += conv(1, cin, w) + bn(w) + conv(3, w, w, { groups: w / 8 }) + bn(w) + conv(1, w, w) + bn(w);
      if (s !== 1 || cin !== w) n += conv(1, cin, w) + bn(w);
      cin = w;
    }
  });
  return n + linear(368, k);
}

// ResNeXt29_2x64d: 1x1 stem conv 3->64; group widths 128, 256, 512 (2 x 64, doubling);
// block out = 2 x group width.
function resnext(k: number): number {
  let cin = 64;
  let n = conv(1, 3, 64) + bn(64);
  [
    [128, 1],
    [256, 2],
    [512, 2],
  ].forEach(([gw, stride]) => {
    for (let i = 0; i < 3; i++) {
      const s = i === 0 ? stride : 1;
      n += conv(1, cin, gw) + bn(gw) + conv(3, gw, gw, { groups: 2 }) + bn(gw) + conv(1, gw, 2 * gw) + bn(2 * gw);
      if (s !== 1 || cin !== 2 * gw) n += conv(1, cin, 2 * gw) + bn(2 * gw);
      cin = 2 * gw;
    }
  });
  return n + linear(1024, k);
}

// DPN26: in 96/192/384/768, out 256/512/1024/2048, dense 16/32/24/128, 2 blocks per stage;
// channels after block i of a stage = out + (i + 2) * dense; head in = 2048 + 3*128 = 2432.
function dpn26(k: number): number {
  let last = 64;
  let n = conv(3, 3, 64) + bn(64);
  [
    [96, 256, 16],
    [192, 512, 32],
    [384, 1024, 24],
    [768, 2048, 128],
  ].forEach(([inP, out, dd]) => {
    for (let i = 0; i < 2; i++) {
      n += conv(1, last, inP) + bn(inP) + conv(3, inP, inP, { groups: 32 }) + bn(inP) + conv(1, inP, out + dd) + bn(out + dd);
      if (i === 0) n += conv(1, last, out + dd) + bn(out + dd);
      last = out + (i + 2) * dd;
    }
  });
  return n + linear(last, k);
}

// He et al. CIFAR ResNet-(6n+2), option-A shortcuts (no parameters). ResNet-20 (n = 3):
//   stem conv 3x3 3->16: 432, BN 32                                     ->     464
//   stage 1: 3 blocks x (2 x 3*3*16*16 = 2,304, + 2 x 32)               ->  14,016
//   stage 2: 16->32: 3*3*16*32 = 4,608 + 64 + 9,216 + 64 = 13,952;
//            2 blocks x (2 x 9,216 + 128) = 37,120                      ->  51,072
//   stage 3: 32->64: 18,432 + 128 + 36,864 + 128 = 55,552;
//            2 blocks x (2 x 36,864 + 256) = 147,968                    -> 203,520
//   linear 64*10 + 10 = 650
//   total 464 + 14,016 + 51,072 + 203,520 + 650 = 269,722  ("0.27M" in the paper's table 6)
function heResnet(depth: number, k: number): number {
  const nb = (depth - 2) / 6;
  let cin = 16;
  let n = conv(3, 3, 16) + bn(16);
  for (const p of [16, 32, 64]) {
    for (let i = 0; i < nb; i++) {
      n += conv(3, cin, p) + bn(p) + conv(3, p, p) + bn(p);
      cin = p;
    }
  }
  return n + linear(64, k);
}

// Small CNN: conv3x3 c->32 + BN, conv3x3 32->64 + BN (no conv bias), two 2x2 pools, dense.
// On 28x28x1: 288 + 64 + 18,432 + 128 + (7*7*64 = 3,136)*10 + 10 = 50,282.
const smallcnn = (h: number, w: number, c: number, k: number): number =>
  conv(3, c, 32) + bn(32) + conv(3, 32, 64) + bn(64) + linear(Math.floor(h / 4) * Math.floor(w / 4) * 64, k);

/** Expected count for each registry name, derived above. */
const DERIVED: Record<string, (k: number) => number> = {
  LeNet: lenet,
  ...Object.fromEntries(Object.entries(VGG).map(([n, cfg]) => [n, (k: number) => vgg(cfg, k)])),
  ...Object.fromEntries(Object.keys(RESNETS).map((n) => [n, (k: number) => cifarResnet(n, k)])),
  PreActResNet18: preact,
  DenseNet121: (k) => densenet([6, 12, 24, 16], 32, k),
  densenet_cifar: (k) => densenet([6, 12, 24, 16], 12, k),
  MobileNet: mobilenet,
  MobileNetV2: mobilenetv2,
  GoogLeNet: googlenet,
  ShuffleNetV2: (k) => shufflenetv2(k),
  ShuffleNetV2_head24: (k) => shufflenetv2(k, 24),
  EfficientNetB0: efficientnet,
  RegNetX_200MF: regnet,
  SENet18: senet,
  ResNeXt29_2x64d: resnext,
  DPN26: dpn26,
  resnet20: (k) => heResnet(20, k),
  resnet32: (k) => heResnet(32, k),
  resnet44: (k) => heResnet(44, k),
  resnet56: (k) => heResnet(56, k),
  resnet110: (k) => heResnet(110, k),
  smallcnn: (k) => smallcnn(28, 28, 1, k),
  imagenet_resnet18: (k) => imagenetResnet('ResNet18', k),
  imagenet_resnet34: (k) => imagenetResnet('ResNet34', k),
  imagenet_resnet50: (k) => imagenetResnet('ResNet50', k),
  imagenet_se_resnet18: (k) => seImagenetResnet('ResNet18', k),
  imagenet_se_resnet50: (k) => seImagenetResnet('ResNet50', k),
};

/** The reference's counts (from the authors' PyTorch models), 10 / 100 classes. */
const REFERENCE: Record<string, [number, number | null]> = {
  LeNet: [62006, null],
  VGG16: [14728266, 14774436],
  ResNet18: [11173962, 11220132],
  ResNet34: [21282122, 21328292],
  ResNet50: [23520842, 23705252],
  PreActResNet18: [11171146, 11217316],
  DenseNet121: [6956298, 7048548],
  densenet_cifar: [1000618, 1035268],
  MobileNet: [3217226, 3309476],
  MobileNetV2: [2296922, 2412212],
  GoogLeNet: [6166250, 6258500],
};

/** torchvision's published counts (1000 classes). */
const TORCHVISION: Record<string, number> = { imagenet_resnet18: 11689512, imagenet_resnet34: 21797672, imagenet_resnet50: 25557032 };

/** The SE-ResNets' 1000-class counts, worked out by hand above (torchvision count + SE layers). */
const SE_RESNETS: Record<string, number> = { imagenet_se_resnet18: 11689512 + 89080, imagenet_se_resnet50: 25557032 + 2530992 };

test('the arithmetic derivations reproduce every count of the reference table', () => {
  for (const [name, [c10, c100]] of Object.entries(REFERENCE)) {
    assert.equal(DERIVED[name](10), c10, `${name}, 10 classes`);
    if (c100 !== null) assert.equal(DERIVED[name](100), c100, `${name}, 100 classes`);
  }
  for (const [name, c1000] of Object.entries({ ...TORCHVISION, ...SE_RESNETS })) assert.equal(DERIVED[name](1000), c1000, name);
  assert.equal(heResnet(20, 10), 269722);
  // The reference EfficientNetB0 module's count, including its unused expansion conv + BN.
  assert.equal(efficientnet(10) + EFFICIENTNET_DEAD_PARAMS, 3599686);
});

test('every registered model has a derivation (no model goes unchecked)', () => {
  assert.deepEqual(
    listModels()
      .map((m) => m.name)
      .sort(),
    Object.keys(DERIVED).sort(),
  );
});

test('built models have the derived, reference and cached counts for 10 and 100 classes', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  for (const info of listModels()) {
    for (const k of [10, 100]) {
      const model = createModel(info.name, { numClasses: k });
      const n = countTrainableParams(model);
      model.dispose();
      assert.equal(n, DERIVED[info.name](k), `${info.name} with ${k} classes: built vs derived`);
      assert.equal(n, k === 10 ? info.params10 : info.params100, `${info.name} with ${k} classes: built vs listModels()`);
      const ref = REFERENCE[info.name];
      if (ref) {
        const expected = k === 10 ? ref[0] : ref[1];
        if (expected !== null) assert.equal(n, expected, `${info.name} with ${k} classes: built vs reference`);
      }
    }
  }
  assert.equal(tf.memory().numTensors, before, 'building and disposing models leaks no tensors');
});

test('ImageNet ResNets and SE-ResNets have the torchvision and hand-worked counts with their default 1000 classes', async () => {
  await tf.setBackend('cpu');
  for (const [name, expected] of Object.entries({ ...TORCHVISION, ...SE_RESNETS })) {
    const model = createModel(name);
    assert.deepEqual(model.inputs[0].shape, [null, 224, 224, 3]);
    assert.deepEqual(model.outputs[0].shape, [null, 1000]);
    assert.equal(countTrainableParams(model), expected, name);
    model.dispose();
  }
});

test('BN moving statistics are not counted as trainable', async () => {
  await tf.setBackend('cpu');
  // smallcnn on 28x28x1 has BN(32) and BN(64): 2*(32+64) = 192 moving mean/variance scalars.
  const model = createModel('smallcnn');
  const all = model.weights.reduce((a, w) => a + w.shape.reduce<number>((p, d) => p * (d ?? 0), 1), 0);
  assert.equal(all - countTrainableParams(model), 192);
  model.dispose();
});

test('smallcnn on 32x32x3 counts its larger dense layer', async () => {
  await tf.setBackend('cpu');
  // 864 + 64 + 18,432 + 128 + (8*8*64 = 4,096)*10 + 10 = 60,458
  const model = createModel('smallcnn', { inputShape: [32, 32, 3] });
  assert.equal(countTrainableParams(model), smallcnn(32, 32, 3, 10));
  assert.equal(countTrainableParams(model), 60458);
  model.dispose();
});

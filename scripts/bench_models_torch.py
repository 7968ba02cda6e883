#!/usr/bin/python3
"""PyTorch twins of gaf-lab's model zoo, for timing a training step next to tfjs and for
cross-checking parameter counts with an independent framework.

Written for gaf-lab from the architecture descriptions in src/models (the reference CIFAR
zoo's layouts); run with Debian's /usr/bin/python3 (python3-torch).

  /usr/bin/python3 scripts/bench_models_torch.py count
      -> JSON {name: [params with 10 classes, params with 100 classes]} for every model
  /usr/bin/python3 scripts/bench_models_torch.py bench --model ResNet18 --batch 32 \
      [--side 32] [--channels 3] [--classes 10] [--warmup 1] [--runs 3] [--threads N] [--device cpu|cuda]
      -> JSON {"model", "batch", "threads", "default_threads", "device", "ms": [...], "median_ms"}
  /usr/bin/python3 scripts/bench_models_torch.py cuda
      -> JSON {"available": bool, "device": name or null}: whether --device cuda can run
      (default_threads: what torch.get_num_threads() reported before --threads was applied)

One step = forward, cross-entropy, backward, SGD(lr 0.01, momentum 0.9) update, on random
data, in training mode.
"""
import argparse
import json
import statistics
import sys
import time


def build_parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    sub.add_parser('count')
    sub.add_parser('cuda')
    b = sub.add_parser('bench')
    b.add_argument('--model', required=True, help='a model of the zoo (see count)')
    b.add_argument('--batch', type=int, default=32)
    b.add_argument('--side', type=int, default=0)
    b.add_argument('--channels', type=int, default=0)
    b.add_argument('--classes', type=int, default=10)
    b.add_argument('--warmup', type=int, default=1)
    b.add_argument('--runs', type=int, default=3)
    b.add_argument('--threads', type=int, default=0)
    b.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    return p


if __name__ == '__main__':
    # --help and bad options are answered before torch is imported: it may not be installed.
    PARSER = build_parser()
    ARGS = PARSER.parse_args(sys.argv[1:])

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as err:
    sys.exit(f"bench_models_torch.py needs PyTorch ({err}); on Debian: apt-get install python3-torch")


def conv_bn(cin, cout, k, stride=1, padding=0, groups=1):
    return [nn.Conv2d(cin, cout, k, stride, padding, groups=groups, bias=False), nn.BatchNorm2d(cout)]


def conv_bn_relu(cin, cout, k, stride=1, padding=0, groups=1):
    return nn.Sequential(*conv_bn(cin, cout, k, stride, padding, groups), nn.ReLU(inplace=True))


class Head(nn.Module):
    """Global average pool + Linear."""

    def __init__(self, features, classes):
        super().__init__()
        self.fc = nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---------------------------------------------------------------------------------------
class LeNet(nn.Module):
    def __init__(self, classes, side=32, channels=3):
        super().__init__()
        self.c1 = nn.Conv2d(channels, 6, 5)
        self.c2 = nn.Conv2d(6, 16, 5)
        s = ((side - 4) // 2 - 4) // 2
        self.f1, self.f2, self.f3 = nn.Linear(16 * s * s, 120), nn.Linear(120, 84), nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = torch.flatten(x, 1)
        return self.f3(F.relu(self.f2(F.relu(self.f1(x)))))


VGG_CFG = {
    'VGG11': [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'VGG13': [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
    'VGG16': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
    'VGG19': [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
}


def vgg(name, classes):
    layers, cin = [], 3
    for c in VGG_CFG[name]:
        if c == 'M':
            layers.append(nn.MaxPool2d(2))
        else:
            layers += [nn.Conv2d(cin, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
            cin = c
    return nn.Sequential(*layers, Head(512, classes))


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, p, s):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, p, 3, s, 1), nn.ReLU(inplace=True), *conv_bn(p, p, 3, 1, 1))
        self.short = nn.Sequential(*conv_bn(cin, p, 1, s)) if s != 1 or cin != p else nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.short(x))


class Bottle(nn.Module):
    expansion = 4

    def __init__(self, cin, p, s):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(cin, p, 1), nn.ReLU(inplace=True), *conv_bn(p, p, 3, s, 1),
                                  nn.ReLU(inplace=True), *conv_bn(p, 4 * p, 1))
        self.short = nn.Sequential(*conv_bn(cin, 4 * p, 1, s)) if s != 1 or cin != 4 * p else nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.short(x))


RESNET_CFG = {18: (Basic, [2, 2, 2, 2]), 34: (Basic, [3, 4, 6, 3]), 50: (Bottle, [3, 4, 6, 3]),
              101: (Bottle, [3, 4, 23, 3]), 152: (Bottle, [3, 8, 36, 3])}


def resnet_stages(block, blocks):
    layers, cin = [], 64
    for stage, (p, n) in enumerate(zip([64, 128, 256, 512], blocks)):
        for i in range(n):
            layers.append(block(cin, p, 2 if i == 0 and stage > 0 else 1))
            cin = p * block.expansion
    return layers, cin


def resnet(depth, classes, imagenet=False):
    block, blocks = RESNET_CFG[depth]
    stages, cout = resnet_stages(block, blocks)
    if imagenet:
        stem = [conv_bn_relu(3, 64, 7, 2, 3), nn.MaxPool2d(3, 2, 1)]
    else:
        stem = [conv_bn_relu(3, 64, 3, 1, 1)]
    return nn.Sequential(*stem, *stages, Head(cout, classes))


class PreAct(nn.Module):
    def __init__(self, cin, p, s, se=False):
        super().__init__()
        self.bn1, self.c1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, p, 3, s, 1, bias=False)
        self.bn2, self.c2 = nn.BatchNorm2d(p), nn.Conv2d(p, p, 3, 1, 1, bias=False)
        self.short = nn.Conv2d(cin, p, 1, s, bias=False) if s != 1 or cin != p else None
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(p, p // 16, 1), nn.ReLU(),
                                nn.Conv2d(p // 16, p, 1), nn.Sigmoid()) if se else None

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        short = self.short(pre) if self.short is not None else x
        out = self.c2(F.relu(self.bn2(self.c1(pre))))
        if self.se is not None:
            out = out * self.se(out)
        return out + short


def preact_like(classes, se):
    layers, cin = ([nn.Conv2d(3, 64, 3, 1, 1, bias=False)] if not se else [conv_bn_relu(3, 64, 3, 1, 1)]), 64
    for stage, p in enumerate([64, 128, 256, 512]):
        for i in range(2):
            layers.append(PreAct(cin, p, 2 if i == 0 and stage > 0 else 1, se))
            cin = p
    return nn.Sequential(*layers, Head(512, classes))


class DenseLayer(nn.Module):
    def __init__(self, c, g):
        super().__init__()
        self.f = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, 4 * g, 1, bias=False),
                               nn.BatchNorm2d(4 * g), nn.ReLU(), nn.Conv2d(4 * g, g, 3, 1, 1, bias=False))

    def forward(self, x):
        return torch.cat([self.f(x), x], 1)


def densenet(blocks, g, classes):
    c = 2 * g
    layers = [nn.Conv2d(3, c, 3, 1, 1, bias=False)]
    for stage, n in enumerate(blocks):
        for _ in range(n):
            layers.append(DenseLayer(c, g))
            c += g
        if stage < len(blocks) - 1:
            layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c // 2, 1, bias=False), nn.AvgPool2d(2)]
            c //= 2
    return nn.Sequential(*layers, nn.BatchNorm2d(c), nn.ReLU(), Head(c, classes))


def mobilenet(classes):
    cfg = [64, (128, 2), 128, (256, 2), 256, (512, 2), 512, 512, 512, 512, 512, (1024, 2), 1024]
    layers, cin = [conv_bn_relu(3, 32, 3, 1, 1)], 32
    for item in cfg:
        p, s = (item, 1) if isinstance(item, int) else item
        layers += [conv_bn_relu(cin, cin, 3, s, 1, groups=cin), conv_bn_relu(cin, p, 1)]
        cin = p
    return nn.Sequential(*layers, Head(1024, classes))


class InvRes(nn.Module):
    def __init__(self, cin, out, e, s):
        super().__init__()
        p = e * cin
        self.s = s
        self.body = nn.Sequential(conv_bn_relu(cin, p, 1), conv_bn_relu(p, p, 3, s, 1, groups=p), *conv_bn(p, out, 1))
        self.short = (nn.Sequential(*conv_bn(cin, out, 1)) if cin != out else nn.Identity()) if s == 1 else None

    def forward(self, x):
        out = self.body(x)
        return out + self.short(x) if self.short is not None else out


def mobilenetv2(classes):
    cfg = [(1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    layers, cin = [conv_bn_relu(3, 32, 3, 1, 1)], 32
    for e, out, n, s in cfg:
        for i in range(n):
            layers.append(InvRes(cin, out, e, s if i == 0 else 1))
            cin = out
    return nn.Sequential(*layers, conv_bn_relu(320, 1280, 1), Head(1280, classes))


def cbr_bias(cin, cout, k):
    return nn.Sequential(nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class Inception(nn.Module):
    def __init__(self, cin, n1, n3r, n3, n5r, n5, np_):
        super().__init__()
        self.b1 = cbr_bias(cin, n1, 1)
        self.b2 = nn.Sequential(cbr_bias(cin, n3r, 1), cbr_bias(n3r, n3, 3))
        self.b3 = nn.Sequential(cbr_bias(cin, n5r, 1), cbr_bias(n5r, n5, 3), cbr_bias(n5, n5, 3))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1), cbr_bias(cin, np_, 1))
        self.out = n1 + n3 + n5 + np_

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1)


def googlenet(classes):
    specs = {'a3': (64, 96, 128, 16, 32, 32), 'b3': (128, 128, 192, 32, 96, 64), 'a4': (192, 96, 208, 16, 48, 64),
             'b4': (160, 112, 224, 24, 64, 64), 'c4': (128, 128, 256, 24, 64, 64), 'd4': (112, 144, 288, 32, 64, 64),
             'e4': (256, 160, 320, 32, 128, 128), 'a5': (256, 160, 320, 32, 128, 128), 'b5': (384, 192, 384, 48, 128, 128)}
    layers, cin = [cbr_bias(3, 192, 3)], 192
    for key in ['a3', 'b3', 'M', 'a4', 'b4', 'c4', 'd4', 'e4', 'M', 'a5', 'b5']:
        if key == 'M':
            layers.append(nn.MaxPool2d(3, 2, 1))
            continue
        m = Inception(cin, *specs[key])
        layers.append(m)
        cin = m.out
    return nn.Sequential(*layers, Head(1024, classes))


def shuffle(x, g=2):
    n, c, h, w = x.shape
    return x.view(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c // 2
        self.h = h
        self.f = nn.Sequential(conv_bn_relu(h, h, 1), *conv_bn(h, h, 3, 1, 1, groups=h), conv_bn_relu(h, h, 1))

    def forward(self, x):
        return shuffle(torch.cat([x[:, :self.h], self.f(x[:, self.h:])], 1))


class ShuffleDown(nn.Module):
    def __init__(self, cin, out):
        super().__init__()
        m = out // 2
        self.left = nn.Sequential(*conv_bn(cin, cin, 3, 2, 1, groups=cin), conv_bn_relu(cin, m, 1))
        self.right = nn.Sequential(conv_bn_relu(cin, m, 1), *conv_bn(m, m, 3, 2, 1, groups=m), conv_bn_relu(m, m, 1))

    def forward(self, x):
        return shuffle(torch.cat([self.left(x), self.right(x)], 1))


def shufflenetv2(classes, widths=(48, 96, 192, 1024), blocks=(3, 7, 3)):
    layers, cin = [conv_bn_relu(3, 24, 3, 1, 1)], 24
    for c, n in zip(widths[:3], blocks):
        layers.append(ShuffleDown(cin, c))
        layers += [ShuffleUnit(c) for _ in range(n)]
        cin = c
    return nn.Sequential(*layers, conv_bn_relu(cin, widths[3], 1), Head(widths[3], classes))


class MBConv(nn.Module):
    def __init__(self, cin, out, k, s, e):
        super().__init__()
        p = e * cin
        self.expand = nn.Sequential(*conv_bn(cin, p, 1), nn.SiLU()) if e != 1 else nn.Identity()
        self.dw = nn.Sequential(*conv_bn(p, p, k, s, (k - 1) // 2, groups=p), nn.SiLU())
        se = cin // 4
        self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(p, se, 1), nn.SiLU(), nn.Conv2d(se, p, 1), nn.Sigmoid())
        self.project = nn.Sequential(*conv_bn(p, out, 1))
        self.skip = s == 1 and cin == out

    def forward(self, x):
        out = self.dw(self.expand(x))
        out = self.project(out * self.se(out))
        return out + x if self.skip else out


def efficientnet_b0(classes):
    cfg = [(1, 16, 1, 3, 1), (6, 24, 2, 3, 2), (6, 40, 2, 5, 2), (6, 80, 3, 3, 2), (6, 112, 3, 5, 1),
           (6, 192, 4, 5, 2), (6, 320, 1, 3, 1)]
    layers, cin = [nn.Sequential(*conv_bn(3, 32, 3, 1, 1), nn.SiLU())], 32
    for e, out, n, k, s in cfg:
        for i in range(n):
            layers.append(MBConv(cin, out, k, s if i == 0 else 1, e))
            cin = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(320, classes))


class XBlock(nn.Module):
    """RegNetX / ResNeXt block: 1x1, grouped 3x3, 1x1 (+ projection)."""

    def __init__(self, cin, width, out, s, groups):
        super().__init__()
        self.body = nn.Sequential(conv_bn_relu(cin, width, 1), conv_bn_relu(width, width, 3, s, 1, groups=groups),
                                  *conv_bn(width, out, 1))
        self.short = nn.Sequential(*conv_bn(cin, out, 1, s)) if s != 1 or cin != out else nn.Identity()

    def forward(self, x):
        return F.relu(self.body(x) + self.short(x))


def regnetx_200mf(classes):
    layers, cin = [conv_bn_relu(3, 64, 3, 1, 1)], 64
    for w, d, s in [(24, 1, 1), (56, 1, 1), (152, 4, 2), (368, 7, 2)]:
        for i in range(d):
            layers.append(XBlock(cin, w, w, s if i == 0 else 1, w // 8))
            cin = w
    return nn.Sequential(*layers, Head(368, classes))


def resnext29(classes, card=2, width=64):
    layers, cin = [conv_bn_relu(3, 64, 1)], 64
    for s in [1, 2, 2]:
        gw = card * width
        for i in range(3):
            layers.append(XBlock(cin, gw, 2 * gw, s if i == 0 else 1, card))
            cin = 2 * gw
        width *= 2
    return nn.Sequential(*layers, Head(cin, classes))


class DualPath(nn.Module):
    def __init__(self, last, inp, out, dense, s, first):
        super().__init__()
        self.d = out
        self.body = nn.Sequential(conv_bn_relu(last, inp, 1), conv_bn_relu(inp, inp, 3, s, 1, groups=32),
                                  *conv_bn(inp, out + dense, 1))
        self.short = nn.Sequential(*conv_bn(last, out + dense, 1, s)) if first else nn.Identity()

    def forward(self, x):
        y, x = self.body(x), self.short(x)
        d = self.d
        return F.relu(torch.cat([x[:, :d] + y[:, :d], x[:, d:], y[:, d:]], 1))


def dpn26(classes):
    layers, last = [conv_bn_relu(3, 64, 3, 1, 1)], 64
    for stage, (inp, out, dense) in enumerate([(96, 256, 16), (192, 512, 32), (384, 1024, 24), (768, 2048, 128)]):
        for i in range(2):
            layers.append(DualPath(last, inp, out, dense, (2 if stage > 0 else 1) if i == 0 else 1, i == 0))
            last = out + (i + 2) * dense
    return nn.Sequential(*layers, Head(last, classes))


class OptionA(nn.Module):
    def __init__(self, cin, p, s):
        super().__init__()
        self.body = nn.Sequential(conv_bn_relu(cin, p, 3, s, 1), *conv_bn(p, p, 3, 1, 1))
        self.s, self.pad = s, (p - cin)

    def forward(self, x):
        short = x[:, :, ::self.s, ::self.s]
        if self.pad:
            short = F.pad(short, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(self.body(x) + short)


def he_resnet(depth, classes):
    n = (depth - 2) // 6
    layers, cin = [conv_bn_relu(3, 16, 3, 1, 1)], 16
    for stage, p in enumerate([16, 32, 64]):
        for i in range(n):
            layers.append(OptionA(cin, p, 2 if i == 0 and stage > 0 else 1))
            cin = p
    return nn.Sequential(*layers, Head(64, classes))


def smallcnn(classes, side=28, channels=1):
    return nn.Sequential(conv_bn_relu(channels, 32, 3, 1, 1), nn.MaxPool2d(2), conv_bn_relu(32, 64, 3, 1, 1),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear((side // 4) ** 2 * 64, classes))


BUILDERS = {
    'LeNet': lambda k, side, ch: LeNet(k, side, ch),
    **{n: (lambda n: lambda k, side, ch: vgg(n, k))(n) for n in VGG_CFG},
    **{f'ResNet{d}': (lambda d: lambda k, side, ch: resnet(d, k))(d) for d in RESNET_CFG},
    'PreActResNet18': lambda k, side, ch: preact_like(k, se=False),
    'DenseNet121': lambda k, side, ch: densenet([6, 12, 24, 16], 32, k),
    'densenet_cifar': lambda k, side, ch: densenet([6, 12, 24, 16], 12, k),
    'MobileNet': lambda k, side, ch: mobilenet(k),
    'MobileNetV2': lambda k, side, ch: mobilenetv2(k),
    'GoogLeNet': lambda k, side, ch: googlenet(k),
    'ShuffleNetV2': lambda k, side, ch: shufflenetv2(k),
    'EfficientNetB0': lambda k, side, ch: efficientnet_b0(k),
    'RegNetX_200MF': lambda k, side, ch: regnetx_200mf(k),
    'SENet18': lambda k, side, ch: preact_like(k, se=True),
    'ResNeXt29_2x64d': lambda k, side, ch: resnext29(k),
    'DPN26': lambda k, side, ch: dpn26(k),
    **{f'resnet{d}': (lambda d: lambda k, side, ch: he_resnet(d, k))(d) for d in [20, 32, 44, 56, 110]},
    'smallcnn': lambda k, side, ch: smallcnn(k, side, ch),
    'imagenet_resnet18': lambda k, side, ch: resnet(18, k, imagenet=True),
    'imagenet_resnet50': lambda k, side, ch: resnet(50, k, imagenet=True),
}

DEFAULT_INPUT = {'smallcnn': (28, 1), 'imagenet_resnet18': (224, 3), 'imagenet_resnet50': (224, 3)}


def count_params(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def cmd_count(_args):
    out = {}
    for name, build in BUILDERS.items():
        side, ch = DEFAULT_INPUT.get(name, (32, 3))
        out[name] = [count_params(build(k, side, ch)) for k in (10, 100)]
    print(json.dumps(out))


def cmd_bench(args):
    default_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    side, ch = DEFAULT_INPUT.get(args.model, (32, 3))
    side = args.side or side
    ch = args.channels or ch
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('bench_models_torch.py: --device cuda, but torch.cuda.is_available() is False')
    device = torch.device(args.device)
    torch.manual_seed(0)
    model = BUILDERS[args.model](args.classes, side, ch).to(device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(args.batch, ch, side, side).to(device)
    y = torch.randint(0, args.classes, (args.batch,)).to(device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({'model': args.model, 'batch': args.batch, 'side': side, 'threads': torch.get_num_threads(),
                      'default_threads': default_threads, 'device': args.device, 'torch': torch.__version__, 'ms': times,
                      'median_ms': statistics.median(times)}))


def cmd_cuda(_args):
    available = torch.cuda.is_available()
    print(json.dumps({'available': available, 'device': torch.cuda.get_device_name(0) if available else None}))


def main(parser, args):
    if args.cmd == 'bench' and args.model not in BUILDERS:
        parser.error(f"unknown model {args.model!r}; choose from {', '.join(sorted(BUILDERS))}")
    {'count': cmd_count, 'bench': cmd_bench, 'cuda': cmd_cuda}[args.cmd](args)


if __name__ == '__main__':
    main(PARSER, ARGS)

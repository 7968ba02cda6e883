/**
 * The synthetic detection set: the official VOCdevkit layout, read back by the real VOC loader,
 * with varied sizes, overlaps and difficult objects, and the same files from the same seed.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SYNTHETIC_VOC_CLASSES, writeSyntheticVoc } from '../src/data/synthetic-voc';
import { loadVoc } from '../src/data/voc';
import { decodeVocImage } from '../src/detect/data';
import { vocIoU } from '../src/detect/evaluate';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-synth-voc-'));

test('written in the VOCdevkit layout and read back by the VOC loader', async () => {
  const dir = tmp();
  const s = await writeSyntheticVoc(dir, { train: 30, val: 5, test: 10, seed: 7 });
  assert.equal(s.root, path.join(dir, 'VOCdevkit', 'VOC2007'));
  for (const f of ['train', 'val', 'trainval', 'test']) assert.ok(fs.existsSync(path.join(s.root, 'ImageSets', 'Main', `${f}.txt`)), f);
  const train = await loadVoc({ year: '2007', imageSet: 'train', dataDir: dir });
  const trainval = await loadVoc({ year: '2007', imageSet: 'trainval', dataDir: dir });
  const testSet = await loadVoc({ year: '2007', imageSet: 'test', dataDir: dir });
  assert.deepEqual([train.samples.length, trainval.samples.length, testSet.samples.length], [30, 35, 10]);
  const all = [...trainval.samples, ...testSet.samples];
  assert.equal(
    all.reduce((n, x) => n + x.objects.length, 0),
    s.objects,
  );
  const objects = all.flatMap((x) => x.objects);
  assert.deepEqual([...new Set(objects.map((o) => o.name))].sort(), [...SYNTHETIC_VOC_CLASSES].sort());
  assert.ok(objects.some((o) => o.difficult) && objects.some((o) => !o.difficult), 'some difficult, most not');
  assert.ok(new Set(all.map((x) => `${x.width}x${x.height}`)).size > 5, 'image sizes vary');
  // Every box lies inside its image (1-based inclusive), objects overlap at most IoU 0.35, and some overlap.
  let overlapping = 0;
  for (const x of all) {
    for (const o of x.objects) assert.ok(o.xmin >= 1 && o.ymin >= 1 && o.xmax <= x.width && o.ymax <= x.height, `${x.id}: box inside`);
    for (let i = 0; i < x.objects.length; i++) {
      for (let j = i + 1; j < x.objects.length; j++) {
        const [a, b] = [x.objects[i]!, x.objects[j]!];
        const iou = vocIoU([a.xmin, a.ymin, a.xmax, a.ymax], [b.xmin, b.ymin, b.xmax, b.ymax]);
        assert.ok(iou <= 0.35, `${x.id}: IoU ${iou}`);
        if (iou > 0) overlapping++;
      }
    }
  }
  assert.ok(overlapping > 0, 'some objects overlap');
  // The JPEG decodes at the annotated size.
  const img = await decodeVocImage(testSet.samples[0]!);
  assert.equal(img.data.length, testSet.samples[0]!.width * testSet.samples[0]!.height * 3);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the same seed writes the same files; another seed other ones', async () => {
  const [a, b, c] = [tmp(), tmp(), tmp()];
  await writeSyntheticVoc(a, { train: 4, val: 1, test: 2, seed: 3 });
  await writeSyntheticVoc(b, { train: 4, val: 1, test: 2, seed: 3 });
  await writeSyntheticVoc(c, { train: 4, val: 1, test: 2, seed: 4 });
  const read = (d: string, f: string): Buffer => fs.readFileSync(path.join(d, 'VOCdevkit', 'VOC2007', f));
  for (const f of ['Annotations/000001.xml', 'JPEGImages/000001.jpg', 'JPEGImages/000007.jpg', 'ImageSets/Main/test.txt'])
    assert.ok(read(a, f).equals(read(b, f)), f);
  assert.ok(!read(a, 'Annotations/000001.xml').equals(read(c, 'Annotations/000001.xml')));
  for (const d of [a, b, c]) fs.rmSync(d, { recursive: true, force: true });
});

test('bad sizes are refused with the option named', async () => {
  await assert.rejects(writeSyntheticVoc(tmp(), { train: -1 }), /train must be a non-negative integer/);
  await assert.rejects(writeSyntheticVoc(tmp(), { minSide: 100, maxSide: 50 }), /minSide and maxSide/);
});

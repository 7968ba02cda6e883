/**
 * The devkit's scoring rules, one hand-worked case each. Every expected number is derived in
 * the comment above it from the rule, not read back from the code.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { evaluateVocDetections, vocIoU, type Detection, type GroundTruthImage } from '../src/detect/evaluate';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);
const gt = (imageId: string, ...objects: [string, [number, number, number, number], boolean?][]): GroundTruthImage => ({
  imageId,
  objects: objects.map(([label, box, difficult]) => ({ label, box, difficult: difficult ?? false })),
});
const det = (imageId: string, label: string, score: number, box: [number, number, number, number]): Detection => ({
  imageId,
  label,
  score,
  box,
});

test('IoU uses inclusive pixel boxes (the +1 widths)', () => {
  // [0,0,9,9] and [5,0,14,9]: each 10x10 = 100 px; the overlap is columns 5..9 (5) x rows 0..9
  // (10) = 50 px; union 100 + 100 - 50 = 150; IoU = 50/150 = 1/3. (Without +1: 36/126 = 0.2857.)
  close(vocIoU([0, 0, 9, 9], [5, 0, 14, 9]), 1 / 3, 'IoU');
  // Touching boxes [0,0,9,9] and [10,0,19,9] share no pixel: 0.
  assert.equal(vocIoU([0, 0, 9, 9], [10, 0, 19, 9]), 0);
});

test('the +1 convention decides a match: a 3x3 box and its top 3x2', () => {
  // GT [0,0,2,2] is 3x3 = 9 px; the detection [0,0,2,1] is 3x2 = 6 px inside it: IoU 6/9 = 0.667
  // > 0.5, a true positive, so with one box AP = 1 for both metrics. Without the +1 the widths
  // would be 2x2 and 2x1, IoU 2/4 = 0.5, not above 0.5: a false positive and AP 0.
  const g = [gt('i', ['a', [0, 0, 2, 2]])];
  const d = [det('i', 'a', 0.9, [0, 0, 2, 1])];
  for (const metric of ['voc07', 'voc12'] as const) {
    const r = evaluateVocDetections(g, d, { metric });
    assert.equal(r.perClass.a!.tp, 1);
    close(r.mAP, 1, metric);
  }
});

test('a match needs IoU strictly above the threshold, and the threshold is an option', () => {
  // GT [0,0,9,9] (100 px), detection [0,0,9,4] (50 px inside it): IoU exactly 0.5: not above 0.5,
  // so it is a false positive (AP 0). With iouThreshold 0.4 it matches (AP 1).
  const g = [gt('i', ['a', [0, 0, 9, 9]])];
  const d = [det('i', 'a', 0.9, [0, 0, 9, 4])];
  const strict = evaluateVocDetections(g, d, { metric: 'voc07' });
  assert.deepEqual([strict.perClass.a!.tp, strict.perClass.a!.fp], [0, 1]);
  close(strict.mAP, 0, 'at 0.5');
  close(evaluateVocDetections(g, d, { metric: 'voc07', iouThreshold: 0.4 }).mAP, 1, 'at 0.4');
});

test('voc07 is the 11-point interpolated AP, voc12 the area under the precision envelope', () => {
  // Three boxes (npos 3), four detections in score order: TP, FP, TP, FP (one box never found).
  //   recall    1/3, 1/3, 2/3, 2/3
  //   precision 1,   1/2, 2/3, 1/2
  // voc07: levels 0, .1, .2, .3 reach recall 1/3 and beyond: max precision 1 (4 levels);
  // levels .4, .5, .6 only the points at recall 2/3: max(2/3, 1/2) = 2/3 (3 levels);
  // levels .7 ... 1 (4 levels) are never reached: 0. AP = (4*1 + 3*2/3) / 11 = 6/11.
  // voc12: recall [0, 1/3, 1/3, 2/3, 2/3, 1], precision [0, 1, 1/2, 2/3, 1/2, 0]; the envelope
  // (max to the right) is [1, 1, 2/3, 2/3, 1/2, 0]; recall steps 0->1/3 at envelope 1,
  // 1/3->2/3 at 2/3, 2/3->1 at 0: AP = 1/3 + 2/9 = 5/9.
  const g = [gt('i1', ['a', [0, 0, 9, 9]], ['a', [50, 50, 59, 59]]), gt('i2', ['a', [0, 0, 19, 19]])];
  const d = [
    det('i1', 'a', 0.9, [0, 0, 9, 9]), // TP
    det('i2', 'a', 0.8, [100, 100, 120, 120]), // FP: overlaps nothing
    det('i2', 'a', 0.7, [0, 0, 19, 19]), // TP
    det('i1', 'a', 0.6, [30, 30, 40, 40]), // FP
  ];
  const v07 = evaluateVocDetections(g, d, { metric: 'voc07' });
  close(v07.mAP, 6 / 11, 'voc07');
  assert.deepEqual([v07.perClass.a!.npos, v07.perClass.a!.tp, v07.perClass.a!.fp], [3, 2, 2]);
  close(evaluateVocDetections(g, d, { metric: 'voc12' }).mAP, 5 / 9, 'voc12');
});

test('difficult boxes are not positives, and a detection on one counts neither way', () => {
  // One difficult box D and one normal box N: npos = 1. The detection on D (score .9) is
  // ignored; the one on N (.8) is a TP: recall 1 at precision 1, AP 1. Had D's detection
  // counted as a FP, precision would be 1/2 at recall 1 and AP 1/2.
  const g = [gt('i', ['a', [0, 0, 9, 9], true], ['a', [20, 20, 29, 29]])];
  const d = [det('i', 'a', 0.9, [0, 0, 9, 9]), det('i', 'a', 0.8, [20, 20, 29, 29])];
  for (const metric of ['voc07', 'voc12'] as const) {
    const r = evaluateVocDetections(g, d, { metric });
    assert.deepEqual([r.perClass.a!.npos, r.perClass.a!.tp, r.perClass.a!.fp], [1, 1, 0]);
    close(r.mAP, 1, metric);
  }
});

test('the best box is searched over difficult ones too: a best match on a difficult box is ignored', () => {
  // D difficult [0,0,9,9], N [0,2,9,11]. The detection [0,0,9,9] has IoU 1 with D and
  // 80/120 = 2/3 with N (rows 2..9 = 8 x 10 columns = 80 px; union 100 + 100 - 80 = 120): its
  // best box is D, so it is ignored even though N is above 0.5. No detection counts: tp 0,
  // fp 0, npos 1, AP 0.
  const g = [gt('i', ['a', [0, 0, 9, 9], true], ['a', [0, 2, 9, 11]])];
  const r = evaluateVocDetections(g, [det('i', 'a', 0.9, [0, 0, 9, 9])], { metric: 'voc07' });
  assert.deepEqual([r.perClass.a!.npos, r.perClass.a!.tp, r.perClass.a!.fp], [1, 0, 0]);
  close(r.mAP, 0, 'AP');
});

test('a box is matched at most once: duplicates are false positives', () => {
  // Boxes A and B (npos 2). Detections: .9 on A (TP), .8 on A again (FP: A is taken), .7 on B (TP).
  //   recall 1/2, 1/2, 1; precision 1, 1/2, 2/3.
  // voc07: levels 0 ... .5 (6) max precision 1; levels .6 ... 1 (5) only recall 1: 2/3.
  //   AP = (6 + 5*2/3) / 11 = (28/3)/11 = 28/33.
  // voc12: envelope over recall [0, 1/2, 1/2, 1, 1] of [0, 1, 1/2, 2/3, 0] is [1, 1, 2/3, 2/3, 0]:
  //   AP = 1/2*1 + 1/2*2/3 = 5/6.
  const g = [gt('i', ['a', [0, 0, 9, 9]], ['a', [40, 40, 49, 49]])];
  const d = [det('i', 'a', 0.9, [0, 0, 9, 9]), det('i', 'a', 0.8, [0, 0, 9, 9]), det('i', 'a', 0.7, [40, 40, 49, 49])];
  const r = evaluateVocDetections(g, d, { metric: 'voc07' });
  assert.deepEqual([r.perClass.a!.tp, r.perClass.a!.fp], [2, 1]);
  close(r.mAP, 28 / 33, 'voc07');
  close(evaluateVocDetections(g, d, { metric: 'voc12' }).mAP, 5 / 6, 'voc12');
});

test('a detection whose best box is taken is a FP even when another box overlaps it above the threshold', () => {
  // A [0,0,9,9], B [0,3,9,12]. First .9 on A exactly (TP). Then [0,1,9,10]: IoU with A is
  // 90/110 = 0.818 (rows 1..9), with B 80/120 = 0.667 (rows 3..10): best is A, taken, so FP
  // (the devkit does not fall back to B). tp 1, fp 1: recall 1/2, 1/2; precision 1, 1/2.
  // voc07: levels 0 ... .5 (6) reach recall 1/2 at precision 1: AP = 6/11.
  const g = [gt('i', ['a', [0, 0, 9, 9]], ['a', [0, 3, 9, 12]])];
  const d = [det('i', 'a', 0.9, [0, 0, 9, 9]), det('i', 'a', 0.8, [0, 1, 9, 10])];
  const r = evaluateVocDetections(g, d, { metric: 'voc07' });
  assert.deepEqual([r.perClass.a!.tp, r.perClass.a!.fp], [1, 1]);
  close(r.mAP, 6 / 11, 'voc07');
});

test('detections are sorted by score, equal scores kept in input order', () => {
  // One box. Two detections at the same score: a miss and a hit.
  // Miss first: recall 0, 1; precision 0, 1/2: every voc07 level's best precision is 1/2 (AP 1/2);
  // voc12: envelope [1/2, 1/2, 1/2, 0] over recall [0, 0, 1, 1]: AP = 1 * 1/2 = 1/2.
  // Hit first: recall 1 at precision 1 from the start: AP 1 for both.
  const g = [gt('i', ['a', [0, 0, 9, 9]])];
  const miss = det('i', 'a', 0.5, [50, 50, 59, 59]);
  const hit = det('i', 'a', 0.5, [0, 0, 9, 9]);
  for (const metric of ['voc07', 'voc12'] as const) {
    close(evaluateVocDetections(g, [miss, hit], { metric }).mAP, 1 / 2, `${metric} miss first`);
    close(evaluateVocDetections(g, [hit, miss], { metric }).mAP, 1, `${metric} hit first`);
  }
  // A lower score listed first is still taken after: [low miss, high hit] gives AP 1.
  close(evaluateVocDetections(g, [{ ...miss, score: 0.1 }, hit], { metric: 'voc07' }).mAP, 1, 'score order');
});

test('mAP averages the classes with positives; labels must match; unknown images are FPs', () => {
  // Class a: its one box found (AP 1). Class b: one box, the only detection is in an image
  // without annotations (FP), so AP 0. Class c: only a difficult box (npos 0): AP NaN, left out.
  // A detection labelled b on a's box is no match for b. mAP = (1 + 0) / 2 = 1/2.
  const g = [gt('i', ['a', [0, 0, 9, 9]], ['b', [20, 20, 29, 29]], ['c', [40, 40, 49, 49], true])];
  const d = [det('i', 'a', 0.9, [0, 0, 9, 9]), det('elsewhere', 'b', 0.8, [20, 20, 29, 29]), det('i', 'b', 0.7, [0, 0, 9, 9])];
  const r = evaluateVocDetections(g, d, { metric: 'voc07' });
  close(r.perClass.a!.ap, 1, 'a');
  close(r.perClass.b!.ap, 0, 'b');
  assert.deepEqual([r.perClass.b!.tp, r.perClass.b!.fp], [0, 2]);
  assert.ok(Number.isNaN(r.perClass.c!.ap));
  close(r.mAP, 1 / 2, 'mAP');
});

test('bad input is refused with the field named', () => {
  const g = [gt('i', ['a', [0, 0, 9, 9]])];
  assert.throws(() => evaluateVocDetections(g, [det('i', 'a', 0.5, [5, 0, 4, 9])], { metric: 'voc07' }), /detections\[0\]\.box/);
  assert.throws(() => evaluateVocDetections(g, [], { metric: 'voc10' as 'voc07' }), /metric must be 'voc07' or 'voc12'/);
  assert.throws(() => evaluateVocDetections(g, [], { metric: 'voc07', iouThreshold: 1.5 }), /iouThreshold/);
  assert.throws(() => evaluateVocDetections([...g, ...g], [], { metric: 'voc07' }), /appears twice/);
});

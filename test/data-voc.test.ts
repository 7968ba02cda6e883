import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadVoc, parseVocAnnotation, readVocImage, vocTargets, VOC_CLASS_NAMES } from '../src/data/voc';
import { parseXml } from '../src/data/xml';
import { DataFormatError, DatasetNotFoundError } from '../src/data/errors';
import { tempDir, writeFile } from './data-fixtures';

/** An annotation in the VOC2007 layout (as in Annotations/000005.xml of the devkit). */
function voc2007Xml(filename: string, w: number, h: number, objects: string): string {
  return `<annotation>
	<folder>VOC2007</folder>
	<filename>${filename}</filename>
	<source>
		<database>The VOC2007 Database</database>
		<annotation>PASCAL VOC2007</annotation>
		<image>flickr</image>
		<flickrid>325991873</flickrid>
	</source>
	<owner>
		<flickrid>archintent louisville</flickrid>
		<name>?</name>
	</owner>
	<size>
		<width>${w}</width>
		<height>${h}</height>
		<depth>3</depth>
	</size>
	<segmented>0</segmented>
${objects}
</annotation>
`;
}

function obj(name: string, box: [number, number, number, number], difficult = 0, truncated = 0, extra = ''): string {
  return `	<object>
		<name>${name}</name>
		<pose>Rear</pose>
		<truncated>${truncated}</truncated>
		<difficult>${difficult}</difficult>
		<bndbox>
			<xmin>${box[0]}</xmin>
			<ymin>${box[1]}</ymin>
			<xmax>${box[2]}</xmax>
			<ymax>${box[3]}</ymax>
		</bndbox>${extra}
	</object>`;
}

/** VOC2012 layout: a person with <part> boxes and <occluded>, plus a comment and an XML declaration. */
const VOC2012_XML = `<?xml version="1.0" encoding="utf-8"?>
<!-- produced by a test -->
<annotation>
	<filename>2008_000008.jpg</filename>
	<folder>VOC2012</folder>
	<object>
		<name>person</name>
		<actions><jumping>0</jumping><other>1</other></actions>
		<bndbox><xmax>283</xmax><xmin>158</xmin><ymax>381</ymax><ymin>44</ymin></bndbox>
		<difficult>0</difficult>
		<occluded>1</occluded>
		<part><bndbox><xmax>227</xmax><xmin>189</xmin><ymax>106</ymax><ymin>50</ymin></bndbox><name>head</name></part>
		<pose>Frontal</pose>
		<truncated>1</truncated>
	</object>
	<object>
		<name>horse</name>
		<bndbox><xmin>52.5</xmin><ymin>86</ymin><xmax>471</xmax><ymax>420</ymax></bndbox>
	</object>
	<segmented>0</segmented>
	<size><depth>3</depth><height>442</height><width>500</width></size>
	<source><annotation>PASCAL VOC2008</annotation><database>The VOC2008 Database</database><image>flickr</image></source>
</annotation>`;

test('VOC annotations: VOC2007 and VOC2012 layouts, part boxes ignored, absent flags false', () => {
  const a = parseVocAnnotation(
    voc2007Xml('000005.jpg', 500, 375, [obj('chair', [263, 211, 324, 339]), obj('chair', [5, 244, 67, 374], 1, 1)].join('\n')),
    'a.xml',
  );
  assert.deepEqual([a.filename, a.width, a.height, a.depth], ['000005.jpg', 500, 375, 3]);
  assert.equal(a.objects.length, 2);
  assert.deepEqual(a.objects[1], {
    name: 'chair',
    classIndex: 8,
    xmin: 5,
    ymin: 244,
    xmax: 67,
    ymax: 374,
    difficult: true,
    truncated: true,
    occluded: false,
    pose: 'Rear',
  });
  const b = parseVocAnnotation(VOC2012_XML, 'b.xml');
  assert.deepEqual([b.width, b.height], [500, 442]);
  assert.deepEqual(b.objects[0], {
    name: 'person',
    classIndex: 14,
    xmin: 158,
    ymin: 44,
    xmax: 283,
    ymax: 381,
    difficult: false,
    truncated: true,
    occluded: true,
    pose: 'Frontal',
  });
  assert.deepEqual(b.objects[1], {
    name: 'horse',
    classIndex: 12,
    xmin: 52.5,
    ymin: 86,
    xmax: 471,
    ymax: 420,
    difficult: false,
    truncated: false,
    occluded: false,
    pose: 'Unspecified',
  });
  assert.equal(VOC_CLASS_NAMES.length, 20);
  const t = vocTargets({ id: 'x', imagePath: '', annotationPath: '', ...a }, { includeDifficult: false });
  assert.deepEqual(Array.from(t.boxes), [263, 211, 324, 339]);
  assert.deepEqual(Array.from(t.labels), [8]);
  assert.deepEqual(Array.from(vocTargets({ id: 'x', imagePath: '', annotationPath: '', ...a }).difficult), [0, 1]);
});

test('VOC annotation errors name the file and the object', () => {
  const bad = (objects: string, w = 10, h = 10): string => voc2007Xml('x.jpg', w, h, objects);
  assert.throws(
    () => parseVocAnnotation(bad(obj('unicorn', [1, 1, 2, 2])), 'u.xml'),
    (e: unknown) =>
      e instanceof DataFormatError && e.file === 'u.xml' && /object 0: class "unicorn" is not one of the 20 VOC classes/.test(e.message),
  );
  assert.throws(
    () => parseVocAnnotation(bad([obj('dog', [1, 1, 2, 2]), obj('dog', [5, 1, 2, 2])].join('')), 'i.xml'),
    /i\.xml: object 1: box \(xmin 5, ymin 1, xmax 2, ymax 2\) is inverted or negative/,
  );
  assert.throws(() => parseVocAnnotation(bad('<object><name>dog</name></object>'), 'n.xml'), /n\.xml: object 0: missing <bndbox>/);
  assert.throws(
    () => parseVocAnnotation(bad(obj('dog', [1, 1, 2, 2]).replace('<xmax>2</xmax>', '<xmax>two</xmax>')), 'x.xml'),
    /x\.xml: object 0: <bndbox\/xmax> is "two", not a number/,
  );
  assert.throws(() => parseVocAnnotation('<annotation><filename>a.jpg</filename></annotation>', 's.xml'), /s\.xml: missing <size>/);
  assert.throws(() => parseVocAnnotation(bad('', 0, 10), 'z.xml'), /z\.xml: image size 0x10 is not positive/);
  // A file cut in the middle: line 5 opens <source> that is never closed.
  const cut = voc2007Xml('x.jpg', 10, 10, '').split('\n').slice(0, 7).join('\n');
  assert.throws(
    () => parseVocAnnotation(cut, 'c.xml'),
    /c\.xml: malformed XML at line \d+: <source> is never closed \(the file may be truncated\)/,
  );
});

test('XML parser: attributes, entities, CDATA, self-closing tags, and its errors with line numbers', () => {
  const r = parseXml(
    `<?xml version="1.0"?>\n<!DOCTYPE a>\n<a k="v &amp; w" j='1'>x &lt; y &#65;&#x42;<b/><c>  <![CDATA[<raw>]]> </c>tail</a>`,
    'f.xml',
  );
  assert.equal(r.name, 'a');
  assert.deepEqual(r.attributes, { k: 'v & w', j: '1' });
  assert.equal(r.text, 'x < y ABtail');
  assert.deepEqual(
    r.children.map((c) => [c.name, c.text]),
    [
      ['b', ''],
      ['c', '<raw>'],
    ],
  );
  assert.throws(() => parseXml('<a>\n<b>\n</c></a>', 'm.xml'), /m\.xml: malformed XML at line 3: closing tag <\/c> does not match <b>/);
  assert.throws(() => parseXml('<a></a><b></b>', 'two.xml'), /a second root element <b>/);
  assert.throws(() => parseXml('<a>&nbsp;</a>', 'e.xml'), /unknown entity &nbsp;/);
  assert.throws(() => parseXml('<a x=1></a>', 'q.xml'), /attribute x value must be quoted/);
  assert.throws(() => parseXml('', 'empty.xml'), /no root element/);
});

/** Writes a VOCdevkit/VOC<year> tree with the given (id, annotation xml) pairs and set files. */
function writeDevkit(root: string, year: string, anns: [string, string][], sets: Record<string, string[]>): string {
  const voc = path.join(root, 'VOCdevkit', `VOC${year}`);
  for (const [id, xml] of anns) writeFile(voc, `Annotations/${id}.xml`, xml);
  for (const [set, ids] of Object.entries(sets)) writeFile(voc, `ImageSets/Main/${set}.txt`, ids.join('\n') + '\n');
  fs.mkdirSync(path.join(voc, 'JPEGImages'), { recursive: true });
  return voc;
}

test('loadVoc reads an image set; readVocImage decodes and scales', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const voc = writeDevkit(
      dir,
      '2007',
      [
        ['000001', voc2007Xml('000001.jpg', 40, 30, obj('dog', [5, 6, 20, 25]))],
        ['000002', voc2007Xml('000002.jpg', 16, 16, [obj('cat', [1, 1, 16, 16], 1), obj('tvmonitor', [2, 3, 4, 5])].join('\n'))],
      ],
      { train: ['000001', '000002'], val: ['000002'] },
    );
    // A uniform colour survives JPEG within a couple of levels.
    await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 90 } } })
      .jpeg({ quality: 95 })
      .toFile(path.join(voc, 'JPEGImages', '000001.jpg'));
    const ds = await loadVoc({ year: '2007', imageSet: 'train', dataDir: dir });
    assert.equal(ds.root, voc);
    assert.deepEqual(
      ds.samples.map((s) => s.id),
      ['000001', '000002'],
    );
    assert.deepEqual(
      ds.samples[1].objects.map((o) => [o.name, o.difficult]),
      [
        ['cat', true],
        ['tvmonitor', false],
      ],
    );
    assert.equal(ds.samples[0].imagePath, path.join(voc, 'JPEGImages', '000001.jpg'));
    const img = await readVocImage(ds.samples[0]);
    assert.deepEqual([img.width, img.height, img.channels, img.data.length], [40, 30, 3, 3600]);
    const mean = [0, 1, 2].map((c) => img.data.filter((_, i) => i % 3 === c).reduce((a, b) => a + b, 0) / 1200);
    [200, 30, 90].forEach((v, c) => assert.ok(Math.abs(mean[c] * 255 - v) < 3, `channel ${c}: ${mean[c] * 255}`));
    const small = await readVocImage(ds.samples[0], { width: 20, height: 10 });
    assert.deepEqual([small.width, small.height, small.scaleX, small.scaleY], [20, 10, 0.5, 1 / 3]);
    // The dataDir may also be the VOC2007 folder itself.
    assert.equal((await loadVoc({ year: '2007', imageSet: 'val', dataDir: voc })).samples.length, 1);
    // Image errors: missing file, wrong size, undecodable.
    await assert.rejects(
      readVocImage(ds.samples[1]),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.file === path.join(voc, 'JPEGImages', '000002.jpg') &&
        /cannot read the image of VOC id 000002/.test(e.message),
    );
    await sharp({ create: { width: 17, height: 16, channels: 3, background: 'white' } })
      .jpeg()
      .toFile(path.join(voc, 'JPEGImages', '000002.jpg'));
    await assert.rejects(readVocImage(ds.samples[1]), /image is 17x16, annotation .*000002\.xml says 16x16/);
    fs.writeFileSync(path.join(voc, 'JPEGImages', '000002.jpg'), 'not a jpeg');
    await assert.rejects(
      readVocImage(ds.samples[1]),
      /000002\.jpg: cannot read the image of VOC id 000002: Input file contains unsupported image format/,
    );
  } finally {
    cleanup();
  }
});

test('loadVoc errors: missing devkit (places listed), missing set file, id without annotation', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(
      loadVoc({ year: '2012', imageSet: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DatasetNotFoundError &&
        e.searched[0] === `${dir} (dataDir argument): no VOCdevkit/VOC2012/ with Annotations/ and ImageSets/Main/` &&
        e.message.includes('http://host.robots.ox.ac.uk/pascal/VOC/voc2012/'),
    );
    const voc = writeDevkit(dir, '2012', [['2008_000008', VOC2012_XML]], { trainval: ['2008_000008', '2008_000009'] });
    await assert.rejects(
      loadVoc({ year: '2012', imageSet: 'test', dataDir: dir }),
      /test\.txt: image set file not found\. VOC2012 test annotations were never published/,
    );
    await assert.rejects(
      loadVoc({ year: '2012', imageSet: 'trainval', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.file === path.join(voc, 'Annotations', '2008_000009.xml') &&
        /lists image id 2008_000009 \(line 2\) but its annotation is not there/.test(e.message),
    );
    await assert.rejects(loadVoc({ year: '2010' as '2012', imageSet: 'train', dataDir: dir }), /year must be '2007' or '2012', got "2010"/);
  } finally {
    cleanup();
  }
});

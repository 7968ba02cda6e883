/**
 * PASCAL VOC detection data (VOC2007, VOC2012) in the official VOCdevkit layout:
 *
 *   VOCdevkit/VOC2007/ImageSets/Main/{train,val,trainval,test}.txt   image ids, one per line
 *   VOCdevkit/VOC2007/Annotations/<id>.xml                           objects and boxes
 *   VOCdevkit/VOC2007/JPEGImages/<id>.jpg                            images
 *
 * Boxes are kept exactly as annotated: VOC pixel coordinates, 1-based and inclusive
 * (xmin, ymin, xmax, ymax). Images are decoded with sharp on demand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataFormatError } from './errors';
import { defaultDataDir, findInPlaces, isDirectory, isFile, searchPlaces, type ProbeResult } from './paths';
import { loadSharp } from './sharp';
import { child, childrenNamed, parseXml, type XmlElement } from './xml';

/** The 20 PASCAL VOC classes, indexed by class index (the official order). */
export const VOC_CLASS_NAMES: readonly string[] = Object.freeze([
  'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
]);

/** One annotated object. */
export interface VocObject {
  /** Class name (one of {@link VOC_CLASS_NAMES}). */
  name: string;
  /** Index of `name` in {@link VOC_CLASS_NAMES}. */
  classIndex: number;
  xmin: number;
  ymin: number;
  xmax: number;
  ymax: number;
  /** Marked difficult (excluded from the official evaluation). Absent in the file = false. */
  difficult: boolean;
  /** Marked truncated (extends beyond the image). Absent in the file = false. */
  truncated: boolean;
  /** Marked occluded (VOC2012 only; absent = false). */
  occluded: boolean;
  /** Viewpoint, e.g. `Left`, `Frontal`, `Unspecified`. */
  pose: string;
}

/** One image and its annotation. */
export interface VocSample {
  id: string;
  imagePath: string;
  annotationPath: string;
  /** Image size from the annotation. */
  width: number;
  height: number;
  depth: number;
  objects: VocObject[];
}

/** Which VOC release and image set. */
export interface VocOptions {
  year: '2007' | '2012';
  imageSet: 'train' | 'val' | 'trainval' | 'test';
  /**
   * Folder holding `VOCdevkit/` (or the VOCdevkit folder, or the VOC<year> folder itself).
   * Only there is searched when given; otherwise `$GAF_DATA_DIR`, then `<repo>/data`.
   */
  dataDir?: string;
}

/** A loaded VOC image set: annotations in memory, images decoded on demand. */
export interface VocDataset {
  year: string;
  imageSet: string;
  /** The VOC<year> folder. */
  root: string;
  classNames: readonly string[];
  samples: VocSample[];
}

/** Finds the VOC<year> folder: it must hold Annotations/ and ImageSets/Main/. */
function locateVoc(year: string, dataDir: string | undefined): string {
  const name = `VOC${year}`;
  const probe = (d: string): ProbeResult<string> => {
    for (const c of [path.join(d, 'VOCdevkit', name), path.join(d, name), d]) {
      if (path.basename(c) === name && isDirectory(path.join(c, 'Annotations')) && isDirectory(path.join(c, 'ImageSets', 'Main'))) {
        return { found: c };
      }
    }
    return { missing: `no VOCdevkit/${name}/ with Annotations/ and ImageSets/Main/` };
  };
  const root = dataDir !== undefined ? path.resolve(dataDir) : defaultDataDir();
  const url =
    year === '2007'
      ? 'http://host.robots.ox.ac.uk/pascal/VOC/voc2007/ (VOCtrainval_06-Nov-2007.tar, VOCtest_06-Nov-2007.tar)'
      : 'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/ (VOCtrainval_11-May-2012.tar)';
  return findInPlaces(
    `PASCAL VOC ${year}`,
    searchPlaces('', dataDir),
    probe,
    `download it from ${url} and extract the archives in ${root}/ (they create VOCdevkit/${name}/).`,
    `VOCdevkit/${name}`,
  ).found;
}

function num(el: XmlElement | undefined, what: string, fail: (m: string) => never): number {
  if (!el) return fail(`missing <${what}>`);
  const v = Number(el.text);
  if (el.text === '' || !Number.isFinite(v)) fail(`<${what}> is ${JSON.stringify(el.text)}, not a number`);
  return v;
}

function flag(el: XmlElement | undefined): boolean {
  return el !== undefined && el.text !== '' && Number(el.text) !== 0;
}

/**
 * Parses one VOC annotation file's content. Throws a {@link DataFormatError} naming the file
 * (and the object) for malformed XML, a missing size or box, an unknown class or an inverted box.
 */
export function parseVocAnnotation(xml: string, file: string): Omit<VocSample, 'id' | 'imagePath' | 'annotationPath'> & { filename: string } {
  const root = parseXml(xml, file);
  const fail = (m: string): never => {
    throw new DataFormatError(file, m);
  };
  if (root.name !== 'annotation') fail(`root element is <${root.name}>, expected <annotation>`);
  const size = child(root, 'size');
  if (!size) fail('missing <size> (width, height, depth)');
  const width = num(child(size as XmlElement, 'width'), 'size/width', fail);
  const height = num(child(size as XmlElement, 'height'), 'size/height', fail);
  const depthEl = child(size as XmlElement, 'depth');
  const depth = depthEl ? num(depthEl, 'size/depth', fail) : 3;
  if (!(width > 0 && height > 0)) fail(`image size ${width}x${height} is not positive`);
  const objects = childrenNamed(root, 'object').map((o, i): VocObject => {
    const ofail = (m: string): never => fail(`object ${i}: ${m}`);
    const name = child(o, 'name')?.text ?? '';
    const classIndex = VOC_CLASS_NAMES.indexOf(name);
    if (classIndex < 0) ofail(`class ${JSON.stringify(name)} is not one of the 20 VOC classes (${VOC_CLASS_NAMES.join(', ')})`);
    // The object's own box, not those of its <part> children (VOC2012 person layout).
    const box = child(o, 'bndbox');
    if (!box) ofail('missing <bndbox>');
    const b = box as XmlElement;
    const xmin = num(child(b, 'xmin'), 'bndbox/xmin', ofail);
    const ymin = num(child(b, 'ymin'), 'bndbox/ymin', ofail);
    const xmax = num(child(b, 'xmax'), 'bndbox/xmax', ofail);
    const ymax = num(child(b, 'ymax'), 'bndbox/ymax', ofail);
    if (xmin > xmax || ymin > ymax || xmin < 0 || ymin < 0) {
      ofail(`box (xmin ${xmin}, ymin ${ymin}, xmax ${xmax}, ymax ${ymax}) is inverted or negative`);
    }
    return {
      name,
      classIndex,
      xmin,
      ymin,
      xmax,
      ymax,
      difficult: flag(child(o, 'difficult')),
      truncated: flag(child(o, 'truncated')),
      occluded: flag(child(o, 'occluded')),
      pose: child(o, 'pose')?.text ?? 'Unspecified',
    };
  });
  return { filename: child(root, 'filename')?.text ?? '', width, height, depth, objects };
}

/**
 * Loads a VOC image set's annotations (e.g. VOC2007 trainval: 5,011 images). Missing data
 * raises a {@link DatasetNotFoundError}; a listed id without its annotation, or a malformed
 * annotation, a {@link DataFormatError} naming the file.
 */
export async function loadVoc(opts: VocOptions): Promise<VocDataset> {
  const { year, imageSet } = opts ?? ({} as VocOptions);
  if (year !== '2007' && year !== '2012') throw new Error(`loadVoc: year must be '2007' or '2012', got ${JSON.stringify(year)}.`);
  if (!['train', 'val', 'trainval', 'test'].includes(imageSet)) {
    throw new Error(`loadVoc: imageSet must be 'train', 'val', 'trainval' or 'test', got ${JSON.stringify(imageSet)}.`);
  }
  const root = locateVoc(year, opts.dataDir);
  const listFile = path.join(root, 'ImageSets', 'Main', `${imageSet}.txt`);
  if (!isFile(listFile)) {
    const hint = year === '2012' && imageSet === 'test'
      ? ' VOC2012 test annotations were never published; use trainval or val.'
      : year === '2007' && imageSet === 'test' ? ' Extract VOCtest_06-Nov-2007.tar as well.' : '';
    throw new DataFormatError(listFile, `image set file not found.${hint}`);
  }
  const ids = fs
    .readFileSync(listFile, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((s) => s !== '');
  if (ids.length === 0) throw new DataFormatError(listFile, 'lists no image ids.');
  const samples: VocSample[] = new Array(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const k = next++;
      const id = ids[k];
      const annotationPath = path.join(root, 'Annotations', `${id}.xml`);
      let xml: string;
      try {
        xml = await fs.promises.readFile(annotationPath, 'utf8');
      } catch {
        throw new DataFormatError(
          annotationPath,
          `missing: ${listFile} lists image id ${id} (line ${k + 1}) but its annotation is not there.`,
        );
      }
      const a = parseVocAnnotation(xml, annotationPath);
      const imagePath = path.join(root, 'JPEGImages', a.filename !== '' ? a.filename : `${id}.jpg`);
      samples[k] = { id, imagePath, annotationPath, width: a.width, height: a.height, depth: a.depth, objects: a.objects };
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return { year, imageSet, root, classNames: VOC_CLASS_NAMES, samples };
}

/** The boxes of a sample as typed arrays, e.g. for a detector's targets. */
export function vocTargets(sample: VocSample, opts: { includeDifficult?: boolean } = {}): {
  /** n*4 values: xmin, ymin, xmax, ymax per object. */
  boxes: Float32Array;
  labels: Int32Array;
  difficult: Uint8Array;
  truncated: Uint8Array;
} {
  const objs = opts.includeDifficult === false ? sample.objects.filter((o) => !o.difficult) : sample.objects;
  const boxes = new Float32Array(objs.length * 4);
  objs.forEach((o, i) => boxes.set([o.xmin, o.ymin, o.xmax, o.ymax], i * 4));
  return {
    boxes,
    labels: Int32Array.from(objs, (o) => o.classIndex),
    difficult: Uint8Array.from(objs, (o) => (o.difficult ? 1 : 0)),
    truncated: Uint8Array.from(objs, (o) => (o.truncated ? 1 : 0)),
  };
}

/** A decoded image: RGB, HWC. */
export interface DecodedImage {
  /** float32 in [0, 1]. */
  data: Float32Array;
  width: number;
  height: number;
  channels: 3;
  /** Output size / original size, to scale the boxes: x' = x * scaleX. */
  scaleX: number;
  scaleY: number;
}

/**
 * Decodes a sample's image (RGB float32 in [0, 1], HWC), optionally resized to `resize`
 * (stretching, as detectors' fixed-size inputs do). Checks the decoded size against the
 * annotation's. An unreadable image is an error naming the file.
 */
export async function readVocImage(sample: VocSample, resize?: { width: number; height: number }): Promise<DecodedImage> {
  const sharp = loadSharp();
  let decoded: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    const img = sharp(sample.imagePath, { failOn: 'error' });
    const meta = await img.metadata();
    if (meta.width !== sample.width || meta.height !== sample.height) {
      throw new Error(`image is ${meta.width}x${meta.height}, annotation ${sample.annotationPath} says ${sample.width}x${sample.height}`);
    }
    if (resize) img.resize(resize.width, resize.height, { fit: 'fill', kernel: 'linear' });
    decoded = await img.removeAlpha().toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new DataFormatError(sample.imagePath, `cannot read the image of VOC id ${sample.id}: ${(e as Error).message}.`);
  }
  const { data, info } = decoded;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] / 255;
  return { data: out, width: info.width, height: info.height, channels: 3, scaleX: info.width / sample.width, scaleY: info.height / sample.height };
}

/**
 * Datasets and the data pipeline: official-format loaders (MNIST, Fashion-MNIST, CIFAR-10/100,
 * ImageNet-style folders, PASCAL VOC), the dataset interface with seeded shuffling and
 * prefetching batches, CIFAR augmentation, and the downloader.
 */
export { DatasetNotFoundError, DataFormatError } from './errors';
export { DATA_DIR_ENV, defaultDataDir } from './paths';
export type { ImageSet, ImageShape, PixelArray, PixelFormat, Split } from './types';
export { Rng, mixSeed, permutation } from './rng';
export { parseIdx, readIdxFile, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './idx';
export type { IdxArray, IdxType } from './idx';
export {
  loadMnist,
  loadFashionMnist,
  MNIST_CLASS_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  DEBIAN_FASHION_MNIST_DIR,
} from './mnist';
export type { IdxLoadOptions } from './mnist';
export {
  loadCifar10,
  loadCifar100,
  CIFAR10_CLASS_NAMES,
  CIFAR100_FINE_CLASS_NAMES,
  CIFAR100_COARSE_CLASS_NAMES,
} from './cifar';
export type { CifarLoadOptions, Cifar100Set } from './cifar';
export { readTar } from './tar';
export type { TarEntry } from './tar';
export {
  ArrayDataset,
  SubsetDataset,
  FileListDataset,
  DataLoader,
  takeFirst,
  stratifiedSubset,
} from './dataset';
export type {
  ImageSource,
  Batch,
  DataLoaderOptions,
  LoaderState,
  FileItem,
  FileDecoder,
  UnreadablePolicy,
} from './dataset';
export {
  CIFAR10_MEAN,
  CIFAR10_STD,
  CIFAR100_MEAN,
  CIFAR100_STD,
  randomCrop,
  randomHorizontalFlip,
  normalize,
  compose,
  cifarTrainTransform,
  cifarEvalTransform,
} from './augment';
export type { ImageTransform, CifarVariant } from './augment';
export {
  imageFolderDataset,
  imagenetDataset,
  listImageFolder,
  randomResizedCropBox,
  resizeShortSide,
  IMAGENET_MEAN,
  IMAGENET_STD,
  IMAGE_EXTENSIONS,
} from './imagefolder';
export type { ImageFolderOptions, ImageNetOptions, CropBox } from './imagefolder';
export { loadVoc, parseVocAnnotation, readVocImage, vocTargets, VOC_CLASS_NAMES } from './voc';
export type { VocOptions, VocDataset, VocSample, VocObject, DecodedImage } from './voc';
export { parseXml } from './xml';
export type { XmlElement } from './xml';
export { downloadDataset, downloadPlan, DATASET_SOURCES } from './download';
export type { DownloadableDataset, DownloadOptions, DownloadResult, DownloadedFile, DatasetSource } from './download';
export { writeSyntheticCifar, writeSyntheticImageFolder, cifarRecord, cifarPixel, CIFAR100_COARSE_OF_FINE } from './synthetic';
export type { SyntheticCifarOptions, SyntheticCifarResult, SyntheticImageFolderOptions, SyntheticImageFolderResult } from './synthetic';

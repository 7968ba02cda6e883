/**
 * Object detection on PASCAL VOC: a CenterNet detector in TensorFlow.js, its data pipeline on
 * the VOC loader, training runs in the standard run-folder format, and scoring exactly as the
 * VOC devkit does.
 */
export { evaluateVocDetections, vocIoU, ap11Point, apEnvelope, VOC_IOU_THRESHOLD } from './evaluate';
export type { VocBox, GroundTruthImage, Detection, VocApMetric, VocEvalOptions, ClassEvaluation, VocEvaluation } from './evaluate';
export { letterboxView, vocToEdges, edgesToVoc, toInput, toOriginal, edgeIoU, nmsPerClass } from './geometry';
export type { EdgeBox, View, ScoredBox } from './geometry';
export { renderView, randomView, randomJitter, objectsInView, NO_JITTER, PAD_VALUE } from './image';
export type { RawImage, Photometric, AugmentOptions, TrainObject } from './image';
export { buildDetector, encodeTargets, detectionLoss, decodeDetections, DETECTOR_BACKBONES, OUTPUT_STRIDE } from './centernet';
export type { DetectorBackbone, DetectorSpec, InputObject, ImageTargets, DetectionLoss, DecodeOptions } from './centernet';
export { detectionImages, decodeVocImage, groundTruthOf, makeBatch } from './data';
export type { DetectionImage, DetectionBatch, BatchOptions } from './data';
export { detectImages } from './predict';
export type { DetectOptions } from './predict';
export {
  detectionConfigSchema,
  resolveDetectionConfig,
  detectionRunId,
  detectionRunDir,
  expandDetectionSweep,
  reduceDetectionSweep,
  describeDetectionRuns,
} from './config';
export type { DetectionConfig, DetectionConfigInput, DetectionSweep, DetectionSweepReduction } from './config';
export {
  runDetection,
  runDetectionSweep,
  evaluateDetector,
  loadBackboneWeights,
  loadDetectionData,
  detectionProgress,
  DETECTIONS_FILE,
} from './train';
export type { DetectionEpochMetrics, DetectionManifest, DetectionRunOptions, DetectionRunResult } from './train';
export { drawDetections, prCurvesSpec, apTable } from './draw';
export type { DrawOptions } from './draw';
export { readRunDetections, drawRunImages, drawVocImages } from './results';
export type { RunDetections, DrawRunOptions, DrawVocImagesOptions } from './results';

export { addWeightDecay, isKernelVariable, WEIGHT_DECAY_TARGETS, type WeightDecayTarget } from './weight-decay';
export { trace, type TraceOptions } from './trace';
export { activate } from './activate';
export { adaptiveAtan } from './adaptive-atan';
export { scaleByAdam, type AdamScaleOptions } from './scale-by-adam';
export { scaleByRms, type RmsScaleOptions } from './scale-by-rms';
export { scaleByLearningRate } from './scale-by-lr';
export { clipByValue } from './clip-by-value';
export { scaledSign } from './scaled-sign';

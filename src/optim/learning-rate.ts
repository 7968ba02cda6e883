import { checkLearningRate } from './validate';

/** Validates a learning rate set during training (e.g. by a scheduler). */
export function checkNewLearningRate(where: string, v: unknown): number {
  return checkLearningRate(`${where}.learningRate`, v);
}

import * as tf from '@tensorflow/tfjs';
import { gafFromJSON, type GafJSON } from '../gaf/gaf';
import { adamChain, resolveAdam, type AdamOptions, type AdamRecipe } from './adam-recipe';
import { resolveRmsprop, rmspropChain, type RmspropOptions, type RmspropRecipe } from './rmsprop-recipe';
import {
  adaptiveSgdChain,
  resolveAdaptiveSgd,
  resolveSgd,
  sgdChain,
  type AdaptiveSgdOptions,
  type AdaptiveSgdRecipe,
  type SgdOptions,
  type SgdRecipe,
} from './sgd-recipe';
import { assertDistinctSlots, type Transform } from './transform';
import { clipByValue } from './transforms/index';

/** The resolved settings of any {@link GafOptimizer}: which algorithm, with which constants. */
export type Recipe = SgdRecipe | AdaptiveSgdRecipe | AdamRecipe | RmspropRecipe;

/** The transform chain a recipe runs, in order. */
export function buildChain(recipe: Recipe): Transform[] {
  const chain = (() => {
    switch (recipe.kind) {
      case 'sgd':
        return sgdChain(recipe);
      case 'sgdAdaptiveGaf':
        return adaptiveSgdChain(recipe);
      case 'adam':
        return adamChain(recipe);
      case 'rmsprop':
        return rmspropChain(recipe);
    }
  })();
  // Clipping by value is per component, so it is a stage; clipping by global norm needs every
  // variable's gradient at once and is applied by GafOptimizer before the chain.
  const full = recipe.clip?.kind === 'value' ? [clipByValue(recipe.clip.value), ...chain] : chain;
  assertDistinctSlots(full);
  return full;
}

/**
 * Plain-data form of a recipe and learning rate, for `getConfig`. The GAF becomes its JSON
 * (`null` when absent); keys and string values avoid '_' so that tfjs-layers' Python-style key
 * conversion of saved training configs leaves them unchanged.
 */
export function recipeToConfig(learningRate: number, recipe: Recipe): tf.serialization.ConfigDict {
  const out: tf.serialization.ConfigDict = { learningRate };
  for (const [k, v] of Object.entries(recipe)) {
    if (k === 'gaf') {
      out.gaf = v === null ? null : ({ ...(v as { toJSON(): GafJSON }).toJSON() } as tf.serialization.ConfigDict);
    } else {
      out[k] = v as tf.serialization.ConfigDictValue;
    }
  }
  return out;
}

/** Inverse of {@link recipeToConfig}; validates everything again. */
export function recipeFromConfig(config: tf.serialization.ConfigDict): { learningRate: number; recipe: Recipe } {
  // tfjs-layers' deserializer adds `customObjects` to every config it hands to fromConfig.
  const { kind, gaf, customObjects: _ignored, ...rest } = config as Record<string, unknown>;
  const where = `GafOptimizer.fromConfig(kind=${String(kind)})`;
  const withGaf = (): Record<string, unknown> => ({ ...rest, gaf: gaf == null ? null : gafFromJSON(gaf as GafJSON) });
  switch (kind) {
    case 'sgd':
      return resolveSgd(withGaf() as unknown as SgdOptions, where);
    case 'sgdAdaptiveGaf':
      return resolveAdaptiveSgd(rest as unknown as AdaptiveSgdOptions, where);
    case 'adam':
      return resolveAdam(withGaf() as AdamOptions, where);
    case 'rmsprop':
      return resolveRmsprop(withGaf() as RmspropOptions, where);
    default:
      throw new Error(`${where}: unknown optimizer kind ${JSON.stringify(kind)}; expected sgd, sgdAdaptiveGaf, adam or rmsprop.`);
  }
}

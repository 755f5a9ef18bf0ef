import type { FeatureGroupName } from '../classifier/head-features.js';
import type { HeadHyperparameters } from './train-head.js';

/**
 * Defaults of `npm run train`, chosen by cross-validation inside the training split of the
 * 870-photo pet set (docs/model.md lists the candidates and their figures).
 */
export const trainingDefaults = Object.freeze({
  seed: 42,
  /** Share of each class held out for validation. */
  validationFraction: 0.2,
  /** Feature extraction threads; each runs one detector on one core. */
  workers: 2,
  // Groups measured at about 2% or less of a frame's inference time each (docs/model.md has
  // the per-group costs). heatmapMax, petBoxHead and petBoxMid are left out for cost, and
  // classScores carries nearly the same information as heatmapMax at no cost.
  featureGroups: Object.freeze([
    'classScores',
    'detectorPets',
    'headMean',
    'backbone14',
    'backbone13',
    'backbone10',
    'petBoxDeep',
    'petBoxBackbone',
    'petBoxHeatmaps',
  ]) as readonly FeatureGroupName[],
  hyperparameters: Object.freeze({
    hiddenUnits: 0,
    l2: 0.1,
    epochs: 300,
    learningRate: 0.01,
    seed: 7,
  }) satisfies HeadHyperparameters,
});

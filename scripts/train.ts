import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { selectBackend } from '../server/classifier/backend.js';
import { ALL_FEATURE_GROUPS, type FeatureGroupName } from '../server/classifier/head-features.js';
import { findModelsDir } from '../server/classifier/model-files.js';
import { trainingDefaults } from '../server/training/defaults.js';
import { runTraining } from '../server/training/pipeline.js';

const USAGE = `Usage: npm run train -- DATASET_DIR [options]

Trains the cat / dog / neither head on DATASET_DIR/{cat,dog,neither}/ and writes
models/head/head.json. Detector features are cached in .cache/features/.

Options:
  --seed N                  split seed (default ${trainingDefaults.seed})
  --validation-fraction F   share of each class held out, 0..1 (default ${trainingDefaults.validationFraction})
  --workers N               feature extraction threads (default ${trainingDefaults.workers})
  --cache-dir DIR           feature cache folder (default .cache/features)
  --groups A,B,...          feature groups (default ${trainingDefaults.featureGroups.join(',')};
                            available: ${ALL_FEATURE_GROUPS.join(', ')})
  --hidden-units N          hidden ReLU units, 0 for logistic regression (default ${trainingDefaults.hyperparameters.hiddenUnits})
  --l2 X                    L2 penalty on weights (default ${trainingDefaults.hyperparameters.l2})
  --epochs N                full-batch Adam steps (default ${trainingDefaults.hyperparameters.epochs})
  --learning-rate X         Adam step size (default ${trainingDefaults.hyperparameters.learningRate})
  --dry-run                 train and report, but do not write models/head/head.json
  --help                    show this help`;

function fail(message: string): never {
  console.error(`train: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function readNumber(raw: string | undefined, name: string, fallback: number, check: (value: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || !check(value)) fail(`--${name} must be ${expected}, got '${raw}'`);
  return value;
}

function readGroups(raw: string | undefined): readonly FeatureGroupName[] {
  if (raw === undefined) return trainingDefaults.featureGroups;
  const groups = raw.split(',').map((group) => group.trim()).filter((group) => group !== '');
  const unknown = groups.filter((group) => !(ALL_FEATURE_GROUPS as readonly string[]).includes(group));
  if (groups.length === 0 || unknown.length > 0) fail(`--groups has unknown or no groups (${unknown.join(', ')}); available: ${ALL_FEATURE_GROUPS.join(', ')}`);
  return groups as FeatureGroupName[];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      seed: { type: 'string' },
      'validation-fraction': { type: 'string' },
      workers: { type: 'string' },
      'cache-dir': { type: 'string' },
      groups: { type: 'string' },
      'hidden-units': { type: 'string' },
      l2: { type: 'string' },
      epochs: { type: 'string' },
      'learning-rate': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [datasetDir] = positionals;
  if (datasetDir === undefined || positionals.length !== 1) fail('expected exactly one DATASET_DIR');

  const isInteger = (min: number, max: number) => (value: number) => Number.isInteger(value) && value >= min && value <= max;
  const defaults = trainingDefaults.hyperparameters;
  const modelsDir = findModelsDir();

  // The main thread only trains the small head; extraction runs the detector in worker threads.
  await selectBackend('wasm');

  const outcome = await runTraining({
    datasetDir,
    modelsDir,
    cacheRoot: values['cache-dir'] ?? join(modelsDir, '..', '.cache', 'features'),
    workers: readNumber(values.workers, 'workers', Math.min(trainingDefaults.workers, availableParallelism()), isInteger(1, 64), 'an integer from 1 to 64'),
    seed: readNumber(values.seed, 'seed', trainingDefaults.seed, isInteger(0, 2 ** 32 - 1), 'an integer from 0 to 4294967295'),
    validationFraction: readNumber(values['validation-fraction'], 'validation-fraction', trainingDefaults.validationFraction, (value) => value > 0 && value < 1, 'a number between 0 and 1'),
    featureGroups: readGroups(values.groups),
    hyperparameters: {
      hiddenUnits: readNumber(values['hidden-units'], 'hidden-units', defaults.hiddenUnits, isInteger(0, 1024), 'an integer from 0 to 1024'),
      l2: readNumber(values.l2, 'l2', defaults.l2, (value) => value >= 0, 'a number >= 0'),
      epochs: readNumber(values.epochs, 'epochs', defaults.epochs, isInteger(1, 100_000), 'an integer from 1 to 100000'),
      learningRate: readNumber(values['learning-rate'], 'learning-rate', defaults.learningRate, (value) => value > 0, 'a number > 0'),
      seed: defaults.seed,
    },
    write: !values['dry-run'],
    log: (message) => console.error(`train: ${message}`),
  });
  console.log(outcome.report);
}

await main();

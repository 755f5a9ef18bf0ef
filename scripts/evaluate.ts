import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { configDefaults } from '../server/config.js';
import { selectBackend } from '../server/classifier/backend.js';
import { headFilePath, loadPetHead } from '../server/classifier/head.js';
import { findModelsDir } from '../server/classifier/model-files.js';
import { collectFeatures } from '../server/training/collect.js';
import { listDataset } from '../server/training/dataset.js';
import { evaluateDecision } from '../server/training/decision.js';
import { recordDetections } from '../server/training/design-matrix.js';
import { detectorOnlyVerdict } from '../server/training/detector-rule.js';
import { trainingDefaults } from '../server/training/defaults.js';
import { evaluate, formatEvaluation } from '../server/training/metrics.js';
import { scorePhotos } from '../server/training/pipeline.js';
import { measureFrameTiming } from '../server/training/timing.js';

const USAGE = `Usage: node dist/scripts/evaluate.js DATASET_DIR [options]

Scores the detector-only rule and the trained head (models/head/head.json) on labelled
photos in DATASET_DIR/{cat,dog,neither}/ and prints Markdown tables. Evaluation only:
nothing is trained or tuned on these photos.

Options:
  --timing-rounds N   also time inference with and without the head, N passes over the photos
  --workers N         feature extraction threads (default ${trainingDefaults.workers})
  --help              show this help`;

function fail(message: string): never {
  console.error(`evaluate: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'timing-rounds': { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [datasetDir] = positionals;
  if (datasetDir === undefined || positionals.length !== 1) fail('expected exactly one DATASET_DIR');
  const workers = Number(values.workers ?? trainingDefaults.workers);
  if (!Number.isInteger(workers) || workers < 1) fail(`--workers must be a positive integer, got '${values.workers}'`);
  const timingRounds = values['timing-rounds'] === undefined ? 0 : Number(values['timing-rounds']);
  if (!Number.isInteger(timingRounds) || timingRounds < 0) fail(`--timing-rounds must be a non-negative integer, got '${values['timing-rounds']}'`);

  const modelsDir = findModelsDir();
  const head = await loadPetHead(modelsDir);
  if (head === undefined) fail(`${headFilePath(modelsDir)} not found; run \`npm run train -- DATASET_DIR\` first`);

  const images = await listDataset(datasetDir);
  const photos = await collectFeatures(images, {
    modelsDir,
    cacheRoot: join(modelsDir, '..', '.cache', 'features'),
    workers,
    variants: ['original'],
  });

  const petScore = configDefaults.thresholds.petScore;
  const labels = photos.map(({ image }) => image.label);
  const detectorVerdicts = photos.map(({ records }) => detectorOnlyVerdict(recordDetections(records.get('original') as Float32Array), petScore));
  console.log(formatEvaluation(`Detector only (pet score >= ${petScore})`, evaluate(labels, detectorVerdicts)));
  console.log('');
  console.log(formatEvaluation(`Detector + head (${head.training.model})`, evaluateDecision(scorePhotos(head, photos), head.decision)));

  if (timingRounds > 0) {
    await selectBackend('wasm');
    const encoded = await Promise.all(images.map((image) => readFile(image.path)));
    const timing = await measureFrameTiming(modelsDir, head, encoded, timingRounds);
    console.log('');
    console.log(
      `Per-frame inference, wasm, one thread, median of ${timing.frames} frames: detector ${timing.detectorMs.toFixed(1)} ms, ` +
        `detector + head ${timing.withHeadMs.toFixed(1)} ms (${(timing.addedFraction * 100).toFixed(1)}% added)`,
    );
  }
}

await main();

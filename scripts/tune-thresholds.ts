/**
 * Measures how the detector-only verdict depends on the pet score threshold, on a folder
 * of labelled photos with subfolders cat/, dog/ and neither/. Prints a Markdown report.
 *
 *   npx tsx scripts/tune-thresholds.ts DATASET_DIR
 *
 * Every photo goes through the server's own decoding, letterbox and detector once, on this
 * thread. Each candidate threshold is then applied to the labelled detections with the
 * server's rule (decideVerdict). A trained head, if models/head has one, is not used,
 * because this measures the detector rule alone. Tune only on training photos, never on
 * the test fixtures, so the tests still measure something.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { configDefaults } from '../server/config.js';
import { selectBackend } from '../server/classifier/backend.js';
import { Detector } from '../server/classifier/detector.js';
import { labelDetections } from '../server/classifier/engine.js';
import { prepareImage } from '../server/classifier/image.js';
import { findModelsDir, readDetectorManifest, readLabels, readModelArtifacts } from '../server/classifier/model-files.js';
import type { Verdict } from '../server/classifier/types.js';
import { decideVerdict, type LabeledDetection } from '../server/classifier/verdict.js';

const CLASSES = ['cat', 'dog', 'neither'] as const;
type PhotoClass = (typeof CLASSES)[number];

const CANDIDATES = Array.from({ length: 23 }, (_, index) => Math.round((0.05 + index * 0.025) * 1000) / 1000);

interface Sample {
  readonly photoClass: PhotoClass;
  readonly detections: readonly LabeledDetection[];
}

interface Row {
  readonly threshold: number;
  readonly recall: Readonly<Record<PhotoClass, number>>;
  readonly catAndDog: number;
  readonly accuracy: number;
  readonly balanced: number;
}

async function collect(datasetDir: string): Promise<Sample[]> {
  await selectBackend('wasm');
  const modelsDir = findModelsDir();
  const manifest = await readDetectorManifest(modelsDir);
  const labels = await readLabels(modelsDir, manifest);
  const detector = await Detector.load(await readModelArtifacts(modelsDir, manifest), manifest);
  const limits = { maxImagePixels: configDefaults.maxImagePixels, minImageSide: configDefaults.minImageSide };

  const samples: Sample[] = [];
  try {
    for (const photoClass of CLASSES) {
      const names = (await readdir(join(datasetDir, photoClass))).filter((name) => /\.(jpe?g|png|webp)$/i.test(name)).sort();
      for (const name of names) {
        const path = join(datasetDir, photoClass, name);
        try {
          const prepared = await prepareImage(await readFile(path), limits, detector.inputSize);
          const { detections } = await detector.detect(prepared.pixels);
          samples.push({ photoClass, detections: labelDetections(detections, prepared.geometry, labels) });
        } catch (error) {
          process.stderr.write(`skipped ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    }
  } finally {
    detector.dispose();
  }
  return samples;
}

function evaluate(samples: readonly Sample[], threshold: number): Row {
  const correct: Record<PhotoClass, number> = { cat: 0, dog: 0, neither: 0 };
  const total: Record<PhotoClass, number> = { cat: 0, dog: 0, neither: 0 };
  let catAndDog = 0;

  for (const sample of samples) {
    const verdict: Verdict = decideVerdict(sample.detections, { petScore: threshold, otherScore: 1 }).verdict;
    total[sample.photoClass]++;
    if (verdict === sample.photoClass) correct[sample.photoClass]++;
    if (verdict === 'cat-and-dog') catAndDog++;
  }

  const recall = { cat: correct.cat / total.cat, dog: correct.dog / total.dog, neither: correct.neither / total.neither };
  const accuracy = (correct.cat + correct.dog + correct.neither) / samples.length;
  return { threshold, recall, catAndDog, accuracy, balanced: (recall.cat + recall.dog + recall.neither) / 3 };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function report(datasetDir: string, samples: readonly Sample[], rows: readonly Row[]): string {
  const best = rows.reduce((top, row) => (row.balanced > top.balanced ? row : top));
  const counts = CLASSES.map((photoClass) => `${samples.filter((sample) => sample.photoClass === photoClass).length} ${photoClass}`).join(', ');
  const lines = [
    `Dataset: \`${datasetDir}\` (${counts}). Best balanced accuracy at pet score threshold **${best.threshold}**.`,
    '',
    '| petScore | cat recall | dog recall | neither recall | cat-and-dog verdicts | accuracy | balanced accuracy |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const mark = row === best ? ' (best)' : '';
      return `| ${row.threshold}${mark} | ${percent(row.recall.cat)} | ${percent(row.recall.dog)} | ${percent(row.recall.neither)} | ${row.catAndDog} | ${percent(row.accuracy)} | ${percent(row.balanced)} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const datasetDir = process.argv[2];
  if (!datasetDir) {
    process.stderr.write('usage: tune-thresholds DATASET_DIR  (DATASET_DIR has cat/, dog/ and neither/)\n');
    process.exit(2);
  }

  const samples = await collect(datasetDir);
  process.stdout.write(report(datasetDir, samples, CANDIDATES.map((threshold) => evaluate(samples, threshold))));
}

await main();

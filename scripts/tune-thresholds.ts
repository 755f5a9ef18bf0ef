/**
 * Measures how the detector-only verdict depends on the pet score threshold, on a folder
 * of labelled photos with subfolders cat/, dog/ and neither/. Prints a Markdown report.
 *
 *   npx tsx scripts/tune-thresholds.ts DATASET_DIR [--workers N]
 *
 * Every photo is classified once with a very low threshold, which keeps every cat and dog
 * box down to a score of 0.01; each candidate threshold is then applied to those boxes with
 * the same rule the server uses (decideVerdict). Tune only on training photos, never on
 * the test fixtures, so the tests still measure something.
 */
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { resolveConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { ClassifierPool } from '../server/classifier/pool.js';
import type { PetDetection, Verdict } from '../server/classifier/types.js';
import { decideVerdict } from '../server/classifier/verdict.js';

const CLASSES = ['cat', 'dog', 'neither'] as const;
type PhotoClass = (typeof CLASSES)[number];

/** Lowest threshold the configuration accepts that still keeps practically every box. */
const COLLECT_SCORE = 0.01;
const CANDIDATES = Array.from({ length: 23 }, (_, index) => Math.round((0.05 + index * 0.025) * 1000) / 1000);

interface Sample {
  readonly photoClass: PhotoClass;
  readonly detections: readonly PetDetection[];
}

interface Row {
  readonly threshold: number;
  readonly recall: Readonly<Record<PhotoClass, number>>;
  readonly catAndDog: number;
  readonly accuracy: number;
  readonly balanced: number;
}

async function collect(pool: ClassifierPool, datasetDir: string): Promise<Sample[]> {
  const jobs: Array<Promise<Sample | undefined>> = [];
  for (const photoClass of CLASSES) {
    const names = (await readdir(join(datasetDir, photoClass))).filter((name) => /\.(jpe?g|png|webp)$/i.test(name)).sort();
    for (const name of names) {
      const path = join(datasetDir, photoClass, name);
      jobs.push(
        readFile(path)
          .then((bytes) => pool.classify(bytes))
          .then(({ result }) => ({ photoClass, detections: result.detections }))
          .catch((error: unknown) => {
            process.stderr.write(`skipped ${path}: ${error instanceof Error ? error.message : String(error)}\n`);
            return undefined;
          }),
      );
    }
  }
  return (await Promise.all(jobs)).filter((sample): sample is Sample => sample !== undefined);
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
  const { values, positionals } = parseArgs({ options: { workers: { type: 'string' } }, allowPositionals: true });
  const datasetDir = positionals[0];
  if (!datasetDir) {
    process.stderr.write('usage: tune-thresholds DATASET_DIR [--workers N]  (DATASET_DIR has cat/, dog/ and neither/)\n');
    process.exit(2);
  }

  const config = resolveConfig({
    CATDOG_WORKERS: values.workers ?? String(availableParallelism()),
    CATDOG_PET_SCORE: String(COLLECT_SCORE),
    CATDOG_OTHER_SCORE: String(COLLECT_SCORE),
  });
  const pool = await ClassifierPool.create(config, createLogger('warn'));
  try {
    const samples = await collect(pool, datasetDir);
    process.stdout.write(report(datasetDir, samples, CANDIDATES.map((threshold) => evaluate(samples, threshold))));
  } finally {
    await pool.close();
  }
}

await main();

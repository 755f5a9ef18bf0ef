import type { Verdict } from '../classifier/types.js';
import { HEAD_CLASSES, type HeadClass } from './dataset.js';

/** Verdicts a confusion matrix has columns for: the head's classes plus cat-and-dog. */
export const VERDICT_COLUMNS: readonly Verdict[] = ['cat', 'dog', 'neither', 'cat-and-dog'];

export interface ClassFigures {
  readonly label: HeadClass;
  readonly support: number;
  readonly precision: number;
  readonly recall: number;
}

export interface Evaluation {
  readonly total: number;
  readonly correct: number;
  readonly accuracy: number;
  /** Rows are true labels in HEAD_CLASSES order, columns are verdicts in VERDICT_COLUMNS order. */
  readonly confusion: number[][];
  readonly perClass: ClassFigures[];
  /** Lowest recall over the three classes. */
  readonly minRecall: number;
}

/**
 * Scores verdicts against true labels. A photo labelled cat or dog is right only with that exact
 * verdict, so cat-and-dog counts as an error on single-pet photos.
 */
export function evaluate(labels: readonly HeadClass[], verdicts: readonly Verdict[]): Evaluation {
  if (labels.length !== verdicts.length) throw new Error(`got ${labels.length} labels but ${verdicts.length} verdicts`);

  const confusion = HEAD_CLASSES.map(() => VERDICT_COLUMNS.map(() => 0));
  labels.forEach((label, index) => {
    const row = confusion[HEAD_CLASSES.indexOf(label)] as number[];
    const column = VERDICT_COLUMNS.indexOf(verdicts[index] as Verdict);
    row[column] = (row[column] ?? 0) + 1;
  });

  const perClass = HEAD_CLASSES.map((label, row): ClassFigures => {
    const column = VERDICT_COLUMNS.indexOf(label);
    const truePositives = confusion[row]?.[column] ?? 0;
    const support = (confusion[row] ?? []).reduce((sum, count) => sum + count, 0);
    const predicted = confusion.reduce((sum, counts) => sum + (counts[column] ?? 0), 0);
    return {
      label,
      support,
      precision: predicted === 0 ? 0 : truePositives / predicted,
      recall: support === 0 ? 0 : truePositives / support,
    };
  });

  const correct = perClass.reduce((sum, figures) => sum + Math.round(figures.recall * figures.support), 0);
  return {
    total: labels.length,
    correct,
    accuracy: labels.length === 0 ? 0 : correct / labels.length,
    confusion,
    perClass,
    minRecall: Math.min(...perClass.map((figures) => figures.recall)),
  };
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** Formats an evaluation as Markdown: a summary line, per-class figures and the confusion matrix. */
export function formatEvaluation(title: string, evaluation: Evaluation): string {
  const lines = [
    `**${title}**: ${evaluation.correct}/${evaluation.total} right (${percent(evaluation.accuracy)}), lowest recall ${percent(evaluation.minRecall)}`,
    '',
    '| class | photos | precision | recall |',
    '|---|---|---|---|',
    ...evaluation.perClass.map((figures) => `| ${figures.label} | ${figures.support} | ${percent(figures.precision)} | ${percent(figures.recall)} |`),
    '',
    `| true \\ verdict | ${VERDICT_COLUMNS.join(' | ')} |`,
    `|---|${VERDICT_COLUMNS.map(() => '---').join('|')}|`,
    ...HEAD_CLASSES.map((label, row) => `| ${label} | ${(evaluation.confusion[row] ?? []).join(' | ')} |`),
  ];
  return lines.join('\n');
}

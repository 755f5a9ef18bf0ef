import type { ErrorCode } from '../errors.js';
import type { ClassificationResult } from '../classifier/types.js';

/** An error for one file: the classifier's codes, plus two for files that cannot be read. */
export interface FileError {
  readonly code: ErrorCode | 'ERR_FILE_NOT_FOUND' | 'ERR_FILE_UNREADABLE';
  readonly message: string;
}

/** Outcome for one file given on the command line. */
export type FileOutcome =
  | { readonly file: string; readonly result: ClassificationResult }
  | { readonly file: string; readonly error: FileError };

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

function box(values: readonly number[]): string {
  return `[${values.map((value) => value.toFixed(2)).join(', ')}]`;
}

/**
 * Formats one outcome as a line for people, for example
 * `photos/tom.jpg: cat 46% (cat 46% at [0.10, 0.10, 0.71, 0.76]; also person 81%) 190 ms, queued 1200 ms`.
 * The first time is the worker's own (decode, inference, verdict). The queued time is the
 * wait for an idle worker, which grows with the number of files given at once.
 */
export function formatText(outcome: FileOutcome): string {
  if ('error' in outcome) return `${outcome.file}: error ${outcome.error.code}: ${outcome.error.message}`;

  const { result } = outcome;
  const parts = result.detections.map((detection) => `${detection.label} ${percent(detection.score)} at ${box(detection.box)}`);
  if (result.others.length > 0) parts.push(`also ${result.others.map((other) => `${other.label} ${percent(other.score)}`).join(', ')}`);

  const details = parts.length > 0 ? ` (${parts.join('; ')})` : '';
  return `${outcome.file}: ${result.verdict} ${percent(result.confidence)}${details} ${Math.round(result.timings.workerMs)} ms, queued ${Math.round(result.timings.queueMs)} ms`;
}

/** Formats one outcome as a single JSON line: `file` plus the result's fields, or `file` and `error`. */
export function formatJson(outcome: FileOutcome): string {
  if ('error' in outcome) return JSON.stringify({ file: outcome.file, error: outcome.error });
  return JSON.stringify({ file: outcome.file, ...outcome.result });
}

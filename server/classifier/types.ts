import type { ErrorPayload } from '../errors.js';

/** Inference backends this service can run on. */
export type BackendName = 'node' | 'wasm' | 'cpu';

export type Verdict = 'cat' | 'dog' | 'cat-and-dog' | 'neither';

export type PetLabel = 'cat' | 'dog';

/** What decides a verdict: the trained head, or the detector's scores alone. */
export type VerdictRule = 'head' | 'detector';

/** Box as [x, y, width, height], normalized to 0..1 of the original image. */
export type NormalizedBox = readonly [number, number, number, number];

/** A cat or dog the detector found. */
export interface PetDetection {
  readonly label: PetLabel;
  readonly score: number;
  readonly box: NormalizedBox;
}

/** Another COCO label seen in the image (e.g. person), with its best score. */
export interface OtherLabel {
  readonly label: string;
  readonly score: number;
}

/**
 * Durations of one classification, in milliseconds. `queueMs` + `workerMs` is close to
 * `totalMs`; the rest is the transfer between threads and the event loop's delay.
 */
export interface Timings {
  /** Decoding and letterboxing the image in the worker. */
  readonly decodeMs: number;
  /** Running the detector (and the head) in the worker. */
  readonly inferenceMs: number;
  /** The worker's own time on this image: decoding, inference, verdict and thumbnail. */
  readonly workerMs: number;
  /** Waiting in the pool's queue for an idle worker; grows when images arrive faster than workers finish. */
  readonly queueMs: number;
  /** From the classify() call to its result, queue wait included. */
  readonly totalMs: number;
}

export interface VerdictSummary {
  readonly verdict: Verdict;
  /** Confidence in the verdict, 0..1. */
  readonly confidence: number;
  /** Cat and dog detections that count, highest score first, overlaps removed. */
  readonly detections: readonly PetDetection[];
  /** Other labels at or above the other-label threshold, best score per label, highest first. */
  readonly others: readonly OtherLabel[];
}

/** A classified image: the verdict summary with the model, backend, image size and timings behind it. */
export interface ClassificationResult extends VerdictSummary {
  readonly model: { readonly name: string; readonly version: string };
  readonly backend: BackendName;
  /** Size of the original image after EXIF orientation, in pixels. */
  readonly image: { readonly width: number; readonly height: number; readonly format: string };
  readonly timings: Timings;
}

export type { ErrorPayload };

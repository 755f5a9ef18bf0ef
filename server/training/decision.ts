import type { HeadDecision, HeadOutputClass } from '../classifier/head.js';
import { decideVerdict, type DetectorPetScores } from '../classifier/head.js';
import type { HeadClass } from './dataset.js';
import { evaluate, type Evaluation } from './metrics.js';

/** One photo's head probabilities and detector scores, with its true label. */
export interface ScoredPhoto {
  readonly label: HeadClass;
  readonly probabilities: Readonly<Record<HeadOutputClass, number>>;
  readonly detector: DetectorPetScores;
}

/**
 * Detector score both pets need for a cat-and-dog verdict. Not tuned: no training or validation
 * photo shows both animals, so this is a judgment call set high enough that one animal seen as
 * both classes (a frequent detector error) stays a single-pet verdict.
 */
export const BOTH_PETS_MIN_SCORE = 0.5;

/** Candidate values of minPetProbability, from 0.30 to 0.90 in steps of 0.05. */
const PET_PROBABILITY_GRID = Array.from({ length: 13 }, (_, index) => Math.round((0.3 + index * 0.05) * 100) / 100);

export function evaluateDecision(photos: readonly ScoredPhoto[], decision: HeadDecision): Evaluation {
  return evaluate(
    photos.map((photo) => photo.label),
    photos.map((photo) => decideVerdict(photo.probabilities, photo.detector, decision).verdict),
  );
}

/**
 * Chooses minPetProbability on validation photos: the highest accuracy wins, then the highest
 * lowest-class recall, then the value closest to 0.5 (the plain argmax boundary).
 */
export function chooseDecision(validation: readonly ScoredPhoto[]): { decision: HeadDecision; evaluation: Evaluation } {
  let best: { decision: HeadDecision; evaluation: Evaluation } | undefined;

  for (const minPetProbability of PET_PROBABILITY_GRID) {
    const decision: HeadDecision = { minPetProbability, bothPetsMinScore: BOTH_PETS_MIN_SCORE };
    const evaluation = evaluateDecision(validation, decision);
    if (best === undefined || isBetter(evaluation, minPetProbability, best.evaluation, best.decision.minPetProbability)) {
      best = { decision, evaluation };
    }
  }
  if (best === undefined) throw new Error('no candidate decision was evaluated');
  return best;
}

function isBetter(candidate: Evaluation, candidateThreshold: number, incumbent: Evaluation, incumbentThreshold: number): boolean {
  if (candidate.correct !== incumbent.correct) return candidate.correct > incumbent.correct;
  if (candidate.minRecall !== incumbent.minRecall) return candidate.minRecall > incumbent.minRecall;
  return Math.abs(candidateThreshold - 0.5) < Math.abs(incumbentThreshold - 0.5);
}

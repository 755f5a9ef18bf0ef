import * as tf from '@tensorflow/tfjs-core';

import type { HeadLayer } from '../classifier/head.js';
import { HEAD_CLASSES } from './dataset.js';
import type { DesignMatrix } from './design-matrix.js';

export interface HeadHyperparameters {
  /** Hidden units; 0 trains a multinomial logistic regression (no hidden layer). */
  readonly hiddenUnits: number;
  /** Weight of the L2 penalty on all weight matrices (not biases). */
  readonly l2: number;
  /** Full-batch Adam steps. */
  readonly epochs: number;
  readonly learningRate: number;
  /** Seed of the hidden layer's initial weights. */
  readonly seed: number;
}

export interface TrainedHead {
  readonly normalization: { readonly mean: number[]; readonly std: number[] };
  readonly layers: HeadLayer[];
}

/** Inputs whose spread on the training rows is below this keep std 1, so they pass through unscaled. */
const MIN_STD = 1e-6;

/** Computes per-input mean and standard deviation over the training rows. */
export function fitNormalization(inputs: readonly Float32Array[]): { mean: number[]; std: number[] } {
  const width = inputs[0]?.length ?? 0;
  const mean = new Array<number>(width).fill(0);
  const variance = new Array<number>(width).fill(0);

  for (const row of inputs) row.forEach((value, index) => (mean[index] = (mean[index] ?? 0) + value / inputs.length));
  for (const row of inputs) {
    row.forEach((value, index) => (variance[index] = (variance[index] ?? 0) + ((value - (mean[index] ?? 0)) ** 2) / inputs.length));
  }
  const std = variance.map((value) => (Math.sqrt(value) < MIN_STD ? 1 : Math.sqrt(value)));
  return { mean, std };
}

function toMatrix(inputs: readonly Float32Array[], normalization: { mean: number[]; std: number[] }): tf.Tensor2D {
  const width = normalization.mean.length;
  const data = new Float32Array(inputs.length * width);
  inputs.forEach((row, rowIndex) => {
    for (let i = 0; i < width; i++) data[rowIndex * width + i] = ((row[i] ?? 0) - (normalization.mean[i] ?? 0)) / (normalization.std[i] ?? 1);
  });
  return tf.tensor2d(data, [inputs.length, width]);
}

/** Model parameters in training order: hidden layer first when there is one. */
interface Parameters {
  hiddenWeights?: tf.Tensor2D;
  hiddenBias?: tf.Tensor1D;
  outputWeights: tf.Tensor2D;
  outputBias: tf.Tensor1D;
}

type ParameterName = keyof Parameters;

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/**
 * Returns the gradients of mean softmax cross-entropy plus l2 * (sum of squared weights)
 * for one full batch. Written out by hand because the Node bundle of tfjs-core 4.22 registers no
 * gradient functions: dZ = (softmax(Z) - Y) / N, then back through the optional ReLU layer.
 */
function computeGradients(parameters: Parameters, inputs: tf.Tensor2D, targets: tf.Tensor2D, l2: number): Partial<Record<ParameterName, tf.Tensor>> {
  const rows = inputs.shape[0];
  const gradients: Partial<Record<ParameterName, tf.Tensor>> = {};

  const preActivation =
    parameters.hiddenWeights && parameters.hiddenBias ? tf.add(tf.matMul(inputs, parameters.hiddenWeights), parameters.hiddenBias) : undefined;
  const features = preActivation ? tf.relu(preActivation) : inputs;
  const logits = tf.add(tf.matMul(features, parameters.outputWeights), parameters.outputBias);
  const logitGradient = tf.div(tf.sub(tf.softmax(logits), targets), rows);

  gradients.outputWeights = tf.add(tf.matMul(features, logitGradient, true, false), tf.mul(parameters.outputWeights, 2 * l2));
  gradients.outputBias = tf.sum(logitGradient, 0);

  if (preActivation && parameters.hiddenWeights) {
    const featureGradient = tf.matMul(logitGradient, parameters.outputWeights, false, true);
    const activationGradient = tf.mul(featureGradient, tf.cast(tf.greater(preActivation, 0), 'float32'));
    gradients.hiddenWeights = tf.add(tf.matMul(inputs, activationGradient, true, false), tf.mul(parameters.hiddenWeights, 2 * l2));
    gradients.hiddenBias = tf.sum(activationGradient, 0);
  }
  return gradients;
}

async function toLayer(weights: tf.Tensor2D, bias: tf.Tensor1D, activation: HeadLayer['activation']): Promise<HeadLayer> {
  return { weights: (await weights.array()) as number[][], bias: (await bias.array()) as number[], activation };
}

/**
 * Trains the head with full-batch Adam on softmax cross-entropy plus an L2 penalty. Every step
 * is a deterministic function of the rows and the seed, so the same data and hyperparameters
 * give the same weights on the same backend.
 */
export async function trainHead(matrix: DesignMatrix, hyperparameters: HeadHyperparameters): Promise<TrainedHead> {
  const normalization = fitNormalization(matrix.inputs);
  const width = normalization.mean.length;
  const classes = HEAD_CLASSES.length;
  const { hiddenUnits, l2, seed, learningRate } = hyperparameters;

  const inputs = toMatrix(matrix.inputs, normalization);
  const targets = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(matrix.labels, 'int32'), classes), 'float32') as tf.Tensor2D);

  const parameters: Parameters = {
    outputWeights: tf.zeros([hiddenUnits > 0 ? hiddenUnits : width, classes]),
    outputBias: tf.zeros([classes]),
  };
  if (hiddenUnits > 0) {
    // He initialization for the ReLU layer, seeded for reproducibility.
    parameters.hiddenWeights = tf.randomNormal([width, hiddenUnits], 0, Math.sqrt(2 / width), 'float32', seed);
    parameters.hiddenBias = tf.zeros([hiddenUnits]);
  }
  const names = Object.keys(parameters) as ParameterName[];
  const firstMoments = new Map(names.map((name) => [name, tf.zerosLike(parameters[name] as tf.Tensor)]));
  const secondMoments = new Map(names.map((name) => [name, tf.zerosLike(parameters[name] as tf.Tensor)]));

  try {
    for (let step = 1; step <= hyperparameters.epochs; step++) {
      const gradients = tf.tidy(() => computeGradients(parameters, inputs, targets, l2));
      const stepSize = (learningRate * Math.sqrt(1 - ADAM_BETA2 ** step)) / (1 - ADAM_BETA1 ** step);

      for (const name of names) {
        const gradient = gradients[name] as tf.Tensor;
        const [first, second, updated] = tf.tidy(() => {
          const first = tf.add(tf.mul(firstMoments.get(name) as tf.Tensor, ADAM_BETA1), tf.mul(gradient, 1 - ADAM_BETA1));
          const second = tf.add(tf.mul(secondMoments.get(name) as tf.Tensor, ADAM_BETA2), tf.mul(tf.square(gradient), 1 - ADAM_BETA2));
          const updated = tf.sub(parameters[name] as tf.Tensor, tf.mul(tf.div(first, tf.add(tf.sqrt(second), ADAM_EPSILON)), stepSize));
          return [first, second, updated];
        });
        tf.dispose([firstMoments.get(name) as tf.Tensor, secondMoments.get(name) as tf.Tensor, parameters[name] as tf.Tensor]);
        firstMoments.set(name, first);
        secondMoments.set(name, second);
        (parameters as unknown as Record<ParameterName, tf.Tensor>)[name] = updated;
      }
      tf.dispose(Object.values(gradients));
    }

    const layers: HeadLayer[] = [];
    if (parameters.hiddenWeights && parameters.hiddenBias) layers.push(await toLayer(parameters.hiddenWeights, parameters.hiddenBias, 'relu'));
    layers.push(await toLayer(parameters.outputWeights, parameters.outputBias, 'softmax'));
    return { normalization, layers };
  } finally {
    tf.dispose([inputs, targets, ...names.map((name) => parameters[name] as tf.Tensor), ...firstMoments.values(), ...secondMoments.values()]);
  }
}

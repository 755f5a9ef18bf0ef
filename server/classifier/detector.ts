import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';

import type { DetectorManifest } from './model-files.js';

/** Values per detection row in the detector's output: [x1, y1, x2, y2, score, classId]. */
const DETECTION_VALUES = 6;

/** One detection in model-input pixels, as the graph returns it. */
export interface RawDetection {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly score: number;
  /** 0-based COCO class id. */
  readonly classId: number;
}

export interface DetectorOutput<T = undefined> {
  /** Detections in the graph's order (highest score first). */
  readonly detections: readonly RawDetection[];
  /** Data of each extra output node requested, by node name, flattened. */
  readonly extras: Readonly<Record<string, Float32Array>>;
  /** Value returned by the `consume` callback, if one was given. */
  readonly consumed: T | undefined;
}

/** TF.js memory counters of this thread. */
export interface TensorMemory {
  readonly numTensors: number;
  readonly numBytes: number;
}

/** Decodes flattened detector rows (x1, y1, x2, y2, score, classId; 6 values each). */
export function decodeDetections(data: Float32Array | Int32Array | Uint8Array): RawDetection[] {
  const detections: RawDetection[] = [];
  for (let at = 0; at + DETECTION_VALUES <= data.length; at += DETECTION_VALUES) {
    detections.push({
      x1: data[at] ?? 0,
      y1: data[at + 1] ?? 0,
      x2: data[at + 2] ?? 0,
      y2: data[at + 3] ?? 0,
      score: data[at + 4] ?? 0,
      classId: Math.round(data[at + 5] ?? -1),
    });
  }
  return detections;
}

/**
 * The CenterNet graph, loaded on the current TF.js backend. One instance per thread; every
 * tensor it creates per call is disposed before the call returns.
 */
export class Detector {
  private constructor(
    private readonly model: GraphModel,
    private readonly manifest: DetectorManifest,
  ) {}

  /** Side of the square model input, in pixels. */
  get inputSize(): number {
    return this.manifest.inputSize;
  }

  /** Loads the graph from artifacts already in memory and checks its input shape. */
  static async load(artifacts: tf.io.ModelArtifacts, manifest: DetectorManifest): Promise<Detector> {
    const model = await loadGraphModel(tf.io.fromMemory(artifacts));

    const input = model.inputs.find((node) => node.name === manifest.inputName);
    const shape = input?.shape ?? [];
    if (shape[1] !== manifest.inputSize || shape[2] !== manifest.inputSize || shape[3] !== 3) {
      model.dispose();
      throw new Error(`graph input ${manifest.inputName} has shape [${shape.join(', ')}], expected [1, ${manifest.inputSize}, ${manifest.inputSize}, 3]`);
    }
    return new Detector(model, manifest);
  }

  /**
   * Runs one inference on zeros so that the first real frame does not pay for kernel
   * set-up and memory allocation.
   */
  async warmUp(): Promise<void> {
    const size = this.manifest.inputSize;
    await this.detect(new Uint8Array(size * size * 3));
  }

  /**
   * Detects objects in letterboxed RGB pixels of shape [size, size, 3]. Extra output nodes
   * of the same graph (for example pooled head features) are computed in the same pass,
   * and their data is returned in `extras` unless `consume` is given. `consume` receives every
   * output tensor by node name before the tensors are disposed, and its result is returned as
   * `consumed`.
   */
  async detect<T = undefined>(
    pixels: Uint8Array,
    extraOutputs: readonly string[] = [],
    consume?: (outputs: ReadonlyMap<string, tf.Tensor>, detections: readonly RawDetection[]) => Promise<T>,
  ): Promise<DetectorOutput<T>> {
    const size = this.manifest.inputSize;
    if (pixels.length !== size * size * 3) throw new Error(`expected ${size * size * 3} RGB bytes, got ${pixels.length}`);

    const names = [this.manifest.detectionsName, ...extraOutputs];
    // [1, size, size, 3] float32 in 0..255, the range the graph was exported with.
    const input = tf.tensor4d(Float32Array.from(pixels), [1, size, size, 3], 'float32');
    let outputs: tf.Tensor[] = [];
    try {
      // detections: [1, 100, 6] rows of x1, y1, x2, y2, score, classId in input pixels.
      // execute() returns a bare tensor, not an array, when one output is requested.
      const executed = this.model.execute(input, names);
      outputs = Array.isArray(executed) ? executed : [executed];

      const detectionsTensor = outputs[0];
      if (!detectionsTensor || detectionsTensor.rank !== 3 || detectionsTensor.shape[2] !== DETECTION_VALUES) {
        throw new Error(`output ${this.manifest.detectionsName} has shape [${detectionsTensor?.shape.join(', ')}], expected [1, N, ${DETECTION_VALUES}]`);
      }

      // With `consume`, the consumer reads what it needs from the tensors. Downloading every
      // extra output here would copy megabytes per frame: the class heatmaps alone are 5 MB.
      const downloaded = consume ? outputs.slice(0, 1) : outputs;
      const values = await Promise.all(downloaded.map((tensor) => tensor.data()));
      const detections = decodeDetections(values[0] ?? new Float32Array());
      const extras: Record<string, Float32Array> = {};
      if (!consume) {
        extraOutputs.forEach((name, index) => {
          extras[name] = Float32Array.from(values[index + 1] ?? []);
        });
      }

      const byName = new Map(names.map((name, index) => [name, outputs[index] as tf.Tensor]));
      const consumed = consume ? await consume(byName, detections) : undefined;
      return { detections, extras, consumed };
    } finally {
      input.dispose();
      tf.dispose(outputs);
    }
  }

  memory(): TensorMemory {
    const { numTensors, numBytes } = tf.memory();
    return { numTensors, numBytes };
  }

  dispose(): void {
    this.model.dispose();
  }
}

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { io } from '@tensorflow/tfjs-core';

/** One model file as listed in models/manifest.json. */
export interface ManifestFile {
  readonly from: string;
  readonly to: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** The `detector` entry of models/manifest.json, reduced to what inference needs. */
export interface DetectorManifest {
  readonly name: string;
  readonly version: string;
  readonly files: readonly ManifestFile[];
  /** Path of the graph JSON, relative to the models folder. */
  readonly graph: string;
  readonly inputName: string;
  /** Side of the square input, in pixels. */
  readonly inputSize: number;
  readonly detectionsName: string;
  /** Path of the COCO label list, relative to the models folder. */
  readonly labels: string;
  readonly classIds: { readonly cat: number; readonly dog: number };
}

const FETCH_HINT = 'run `npm run fetch-model` to download and verify the model files';

/**
 * Finds the `models` folder by walking up from this module, so the same code works from the
 * TypeScript sources (server/classifier) and from the build (dist/server/classifier).
 */
export function findModelsDir(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'models', 'manifest.json'))) return join(dir, 'models');

    const parent = dirname(dir);
    if (parent === dir) throw new Error(`models/manifest.json not found above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

/** Reads and checks the detector entry of models/manifest.json. */
export async function readDetectorManifest(modelsDir: string): Promise<DetectorManifest> {
  const raw = JSON.parse(await readFile(join(modelsDir, 'manifest.json'), 'utf8')) as {
    detector?: {
      name?: string;
      source?: { package?: string; version?: string };
      files?: ManifestFile[];
      graph?: string;
      input?: { name?: string; shape?: number[] };
      outputs?: { detections?: { name?: string } };
      labels?: string;
      classIds?: { cat?: number; dog?: number };
    };
  };
  const detector = raw.detector;
  const inputSize = detector?.input?.shape?.[1];
  if (
    !detector?.name ||
    !detector.source?.version ||
    !detector.files ||
    !detector.graph ||
    !detector.input?.name ||
    typeof inputSize !== 'number' ||
    !detector.outputs?.detections?.name ||
    !detector.labels ||
    typeof detector.classIds?.cat !== 'number' ||
    typeof detector.classIds.dog !== 'number'
  ) {
    throw new Error(`${join(modelsDir, 'manifest.json')} is missing detector fields (name, source.version, files, graph, input, outputs.detections, labels, classIds)`);
  }

  return {
    name: detector.name,
    version: `${detector.source.package ?? 'unknown'}@${detector.source.version}`,
    files: detector.files,
    graph: detector.graph,
    inputName: detector.input.name,
    inputSize,
    detectionsName: detector.outputs.detections.name,
    labels: detector.labels,
    classIds: { cat: detector.classIds.cat, dog: detector.classIds.dog },
  };
}

/** Reads one model file and checks it against its manifest entry. */
async function readVerifiedFile(modelsDir: string, relativePath: string, manifest: DetectorManifest): Promise<Buffer> {
  const path = join(modelsDir, relativePath);
  const entry = manifest.files.find((file) => file.to === relativePath);
  if (!entry) throw new Error(`${relativePath} is not listed in models/manifest.json`);
  if (!existsSync(path)) throw new Error(`model file ${path} is missing; ${FETCH_HINT}`);

  const bytes = await readFile(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== entry.sha256) {
    throw new Error(`model file ${path} has sha256 ${sha256}, expected ${entry.sha256}; ${FETCH_HINT}`);
  }
  return bytes;
}

/**
 * Reads the graph and its weights from local files, verifying each against its sha256 in
 * the manifest, and returns them in the form `tf.io.fromMemory` accepts.
 */
export async function readModelArtifacts(modelsDir: string, manifest: DetectorManifest): Promise<io.ModelArtifacts> {
  const graphJson = await readVerifiedFile(modelsDir, manifest.graph, manifest);
  const graph = JSON.parse(graphJson.toString('utf8')) as {
    modelTopology: object;
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    weightsManifest: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
  };

  // NOTE: only single-group weight manifests are read; the shipped detector has one group.
  const group = graph.weightsManifest[0];
  if (graph.weightsManifest.length !== 1 || !group) {
    throw new Error(`${manifest.graph} must have exactly one weights group, found ${graph.weightsManifest.length}`);
  }

  const graphDir = dirname(manifest.graph);
  const shards = await Promise.all(group.paths.map((shard) => readVerifiedFile(modelsDir, join(graphDir, shard), manifest)));
  const weightData = Buffer.concat(shards);

  return {
    modelTopology: graph.modelTopology,
    weightSpecs: group.weights,
    // Copy into a fresh ArrayBuffer: a Buffer may be a view into a larger shared pool.
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    format: graph.format,
    generatedBy: graph.generatedBy,
    convertedBy: graph.convertedBy,
  };
}

/** Reads the COCO label list; index i is the label of class id i. */
export async function readLabels(modelsDir: string, manifest: DetectorManifest): Promise<readonly string[]> {
  const labels = JSON.parse(await readFile(join(modelsDir, manifest.labels), 'utf8')) as unknown;
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
    throw new Error(`${manifest.labels} must be a JSON array of label strings`);
  }
  return labels;
}

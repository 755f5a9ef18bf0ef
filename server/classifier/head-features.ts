import * as tf from '@tensorflow/tfjs-core';

import type { RawDetection } from './detector.js';

export type { RawDetection };
export { decodeDetections } from './detector.js';

/**
 * Features for the cat / dog / neither head, computed from tensors of the detector's own
 * forward pass. Training (server/training) and inference (the classifier worker) both call
 * computeFeatureGroups, so the head always receives features built by the same code.
 */

/** Graph nodes of the CenterNet detector that feature groups read. */
export const GRAPH_NODES = Object.freeze({
  /** [1, 100, 6]: x1, y1, x2, y2, score, class, boxes in input pixels (0..512). */
  detections: 'tower_0/detections',
  /** [1, 128, 128, 80]: per-class sigmoid heatmaps, one channel per COCO class. */
  heatmaps: 'tower_0/keypoints',
  /** [1, 1, 1, 128]: global average of the head's last feature map. */
  headMean: 'tower_0/CenternetHead/Mean',
  /** [1, 128, 128, 128]: the head's last feature map (stride 4), before the class heatmaps. */
  headFeatureMap: 'tower_0/CenternetHead/Relu_2',
  /** [1, 32, 32, 256]: the head's coarsest feature map (stride 16). */
  deepFeatureMap: 'tower_0/CenternetHead/Relu',
  /** [1, 1, 1, 720]: global average of the last MobileNetV3 block, from its squeeze-excite. */
  backbone14: 'tower_0/MobilenetV3/expanded_conv_14/squeeze_excite/Mean',
  /** [1, 1, 1, 720]: as backbone14, one block earlier. */
  backbone13: 'tower_0/MobilenetV3/expanded_conv_13/squeeze_excite/Mean',
  /** [1, 1, 1, 384]: global average of a mid-level MobileNetV3 block (stride 16). */
  backbone10: 'tower_0/MobilenetV3/expanded_conv_10/squeeze_excite/Mean',
  /** [1, 32, 32, 528]: depthwise output of a mid-level MobileNetV3 block (stride 16). */
  midFeatureMap: 'tower_0/MobilenetV3/expanded_conv_11/depthwise/hard_swish/mul_1',
  /** [1, 16, 16, 720]: depthwise output of the last MobileNetV3 block (stride 32); backbone14 is its mean. */
  backboneFeatureMap: 'tower_0/MobilenetV3/expanded_conv_14/depthwise/hard_swish/mul_1',
} as const);

/** Side of the square letterboxed input, in pixels. */
export const INPUT_SIDE = 512;

export const COCO_CAT = 15;
export const COCO_DOG = 16;

/**
 * Detections below this score do not choose the box that petBox* groups pool over; the whole
 * input is pooled instead. Low on purpose, so faint pets still steer the pooling.
 */
export const POOLING_BOX_MIN_SCORE = 0.05;

export type FeatureGroupName =
  | 'classScores'
  | 'heatmapMax'
  | 'detectorPets'
  | 'headMean'
  | 'backbone14'
  | 'backbone13'
  | 'backbone10'
  | 'petBoxHead'
  | 'petBoxDeep'
  | 'petBoxHeatmaps'
  | 'petBoxMid'
  | 'petBoxBackbone';

interface FeatureGroupSpec {
  readonly length: number;
  readonly nodes: readonly string[];
}

export const FEATURE_GROUPS: Readonly<Record<FeatureGroupName, FeatureGroupSpec>> = Object.freeze({
  // Best detection score of each COCO class among the 100 detections, 0 when absent: what the
  // detector thinks of all 80 classes, so bears, teddy bears and horses stay visible to the head.
  classScores: { length: 80, nodes: [GRAPH_NODES.detections] },
  // Maximum of each COCO class heatmap: nearly the same as classScores, but a reduction over
  // 1.3 million values per frame.
  heatmapMax: { length: 80, nodes: [GRAPH_NODES.heatmaps] },
  // Best cat score, best dog score and the area fraction of the best cat or dog box.
  detectorPets: { length: 3, nodes: [GRAPH_NODES.detections] },
  headMean: { length: 128, nodes: [GRAPH_NODES.headMean] },
  backbone14: { length: 720, nodes: [GRAPH_NODES.backbone14] },
  backbone13: { length: 720, nodes: [GRAPH_NODES.backbone13] },
  backbone10: { length: 384, nodes: [GRAPH_NODES.backbone10] },
  // Feature maps and class heatmaps averaged inside the best cat or dog box.
  petBoxHead: { length: 128, nodes: [GRAPH_NODES.detections, GRAPH_NODES.headFeatureMap] },
  petBoxDeep: { length: 256, nodes: [GRAPH_NODES.detections, GRAPH_NODES.deepFeatureMap] },
  petBoxHeatmaps: { length: 80, nodes: [GRAPH_NODES.detections, GRAPH_NODES.heatmaps] },
  petBoxMid: { length: 528, nodes: [GRAPH_NODES.detections, GRAPH_NODES.midFeatureMap] },
  petBoxBackbone: { length: 720, nodes: [GRAPH_NODES.detections, GRAPH_NODES.backboneFeatureMap] },
});

export const ALL_FEATURE_GROUPS = Object.freeze(Object.keys(FEATURE_GROUPS) as FeatureGroupName[]);

/** Returns the graph nodes to execute for these groups, detections first, without duplicates. */
export function graphNodesFor(groups: readonly FeatureGroupName[]): string[] {
  const nodes = new Set<string>([GRAPH_NODES.detections]);
  for (const group of groups) {
    for (const node of FEATURE_GROUPS[group].nodes) nodes.add(node);
  }
  return [...nodes];
}

function bestOfClass(detections: readonly RawDetection[], classId: number): RawDetection | undefined {
  let best: RawDetection | undefined;
  for (const detection of detections) {
    if (detection.classId === classId && (best === undefined || detection.score > best.score)) best = detection;
  }
  return best;
}

/** Returns the highest-scoring cat or dog detection, if any. */
export function bestPetDetection(detections: readonly RawDetection[]): RawDetection | undefined {
  const cat = bestOfClass(detections, COCO_CAT);
  const dog = bestOfClass(detections, COCO_DOG);
  if (cat === undefined) return dog;
  if (dog === undefined) return cat;
  return cat.score >= dog.score ? cat : dog;
}

function boxArea(detection: RawDetection): number {
  const width = Math.max(0, Math.min(INPUT_SIDE, detection.x2) - Math.max(0, detection.x1));
  const height = Math.max(0, Math.min(INPUT_SIDE, detection.y2) - Math.max(0, detection.y1));
  return (width * height) / (INPUT_SIDE * INPUT_SIDE);
}

/** Number of COCO classes in the detector's output. */
export const COCO_CLASS_COUNT = 80;

/** Returns the best detection score of each COCO class, 0 for classes not detected. */
export function classScoreFeatures(detections: readonly RawDetection[]): Float32Array {
  const scores = new Float32Array(COCO_CLASS_COUNT);
  for (const detection of detections) {
    const classId = detection.classId;
    if (classId >= 0 && classId < COCO_CLASS_COUNT && detection.score > (scores[classId] ?? 0)) scores[classId] = detection.score;
  }
  return scores;
}

/** Returns the features computed from detections alone, or undefined for other groups. */
export function detectionFeatures(group: FeatureGroupName, detections: readonly RawDetection[]): Float32Array | undefined {
  if (group === 'classScores') return classScoreFeatures(detections);
  if (group === 'detectorPets') return detectorPetFeatures(detections);
  return undefined;
}

function detectorPetFeatures(detections: readonly RawDetection[]): Float32Array {
  const pet = bestPetDetection(detections);
  return Float32Array.from([
    bestOfClass(detections, COCO_CAT)?.score ?? 0,
    bestOfClass(detections, COCO_DOG)?.score ?? 0,
    pet === undefined ? 0 : boxArea(pet),
  ]);
}

/**
 * Averages a [1, H, W, C] feature map over the cells a box covers; with no box, over the
 * whole map. The box is in input pixels and always covers at least one cell.
 */
function poolInsideBox(featureMap: tf.Tensor, box: RawDetection | undefined): tf.Tensor1D {
  return tf.tidy(() => {
    const [, height = 1, width = 1] = featureMap.shape;
    if (box === undefined) return tf.mean(featureMap, [0, 1, 2]) as tf.Tensor1D;

    const toCell = (value: number, cells: number) => Math.min(cells, Math.max(0, (value / INPUT_SIDE) * cells));
    const top = Math.min(height - 1, Math.floor(toCell(box.y1, height)));
    const left = Math.min(width - 1, Math.floor(toCell(box.x1, width)));
    const bottom = Math.max(top + 1, Math.ceil(toCell(box.y2, height)));
    const right = Math.max(left + 1, Math.ceil(toCell(box.x2, width)));

    const region = tf.slice(featureMap, [0, top, left, 0], [1, bottom - top, right - left, -1]);
    return tf.mean(region, [0, 1, 2]) as tf.Tensor1D;
  });
}

function requireTensor(outputs: ReadonlyMap<string, tf.Tensor>, node: string): tf.Tensor {
  const tensor = outputs.get(node);
  if (tensor === undefined) throw new Error(`graph output '${node}' is missing; execute graphNodesFor(groups) first`);
  return tensor;
}

/**
 * Computes the requested feature groups from the outputs of one detector pass, keyed by graph
 * node name. Does not dispose the outputs; the caller owns them.
 */
export async function computeFeatureGroups(
  outputs: ReadonlyMap<string, tf.Tensor>,
  groups: readonly FeatureGroupName[],
  detections: readonly RawDetection[],
): Promise<Map<FeatureGroupName, Float32Array>> {
  const poolingBox = bestPetDetection(detections);
  const usablePoolingBox = poolingBox !== undefined && poolingBox.score >= POOLING_BOX_MIN_SCORE ? poolingBox : undefined;
  const features = new Map<FeatureGroupName, Float32Array>();

  for (const group of groups) {
    const fromDetections = detectionFeatures(group, detections);
    if (fromDetections !== undefined) {
      features.set(group, fromDetections);
      continue;
    }

    const reduced = tf.tidy((): tf.Tensor => {
      switch (group) {
        case 'heatmapMax':
          return tf.max(requireTensor(outputs, GRAPH_NODES.heatmaps), [0, 1, 2]);
        case 'petBoxHead':
          return poolInsideBox(requireTensor(outputs, GRAPH_NODES.headFeatureMap), usablePoolingBox);
        case 'petBoxDeep':
          return poolInsideBox(requireTensor(outputs, GRAPH_NODES.deepFeatureMap), usablePoolingBox);
        case 'petBoxHeatmaps':
          return poolInsideBox(requireTensor(outputs, GRAPH_NODES.heatmaps), usablePoolingBox);
        case 'petBoxMid':
          return poolInsideBox(requireTensor(outputs, GRAPH_NODES.midFeatureMap), usablePoolingBox);
        case 'petBoxBackbone':
          return poolInsideBox(requireTensor(outputs, GRAPH_NODES.backboneFeatureMap), usablePoolingBox);
        case 'headMean':
        case 'backbone14':
        case 'backbone13':
        case 'backbone10':
          return tf.reshape(requireTensor(outputs, GRAPH_NODES[group]), [-1]);
        default:
          throw new Error(`feature group '${group}' has no tensor computation`);
      }
    });

    try {
      const values = await reduced.data();
      features.set(group, Float32Array.from(values));
    } finally {
      reduced.dispose();
    }
  }
  return features;
}

import type { ClassificationResult } from '../server/protocol.js';

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

const LABEL_COLORS: Readonly<Record<string, string>> = { cat: '#f59e0b', dog: '#3b82f6' };

/** Returns where a source of the given size lands inside a box with `object-fit: contain`. */
export function containRect(sourceWidth: number, sourceHeight: number, boxWidth: number, boxHeight: number): Rect {
  const scale = Math.min(boxWidth / sourceWidth, boxHeight / sourceHeight);
  const width = sourceWidth * scale;
  const height = sourceHeight * scale;
  return { x: (boxWidth - width) / 2, y: (boxHeight - height) / 2, width, height };
}

/**
 * Sizes a canvas's backing store to its CSS size times the device pixel ratio, so
 * lines and text stay sharp, and returns a context scaled to CSS pixels.
 */
export function prepareCanvas(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }

  const context = canvas.getContext('2d');
  if (context === null) return null;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  return context;
}

/** Draws each cat and dog box, with its label and score, over `image` (the area the picture occupies). */
export function drawDetections(context: CanvasRenderingContext2D, result: ClassificationResult, image: Rect): void {
  const lineWidth = Math.max(2, Math.round(Math.min(image.width, image.height) / 160));
  context.font = `600 ${Math.max(12, Math.round(image.width / 40))}px system-ui, sans-serif`;
  context.textBaseline = 'top';

  for (const detection of result.detections) {
    const [left, top, width, height] = detection.box;
    const x = image.x + left * image.width;
    const y = image.y + top * image.height;
    const color = LABEL_COLORS[detection.label] ?? '#ffffff';

    context.lineWidth = lineWidth;
    context.strokeStyle = color;
    context.strokeRect(x, y, width * image.width, height * image.height);

    const label = `${detection.label} ${Math.round(detection.score * 100)}%`;
    const padding = 4;
    const textWidth = context.measureText(label).width;
    const textHeight = parseInt(context.font.split(' ')[1] ?? '12', 10);
    const labelY = y - textHeight - padding * 2 >= image.y ? y - textHeight - padding * 2 : y;

    context.fillStyle = color;
    context.fillRect(x - lineWidth / 2, labelY, textWidth + padding * 2, textHeight + padding * 2);
    context.fillStyle = '#0b1020';
    context.fillText(label, x + padding - lineWidth / 2, labelY + padding);
  }
}

/** Draws a picture scaled to fit the canvas and its detections on top. */
export function drawPictureWithDetections(canvas: HTMLCanvasElement, picture: CanvasImageSource & { width: number; height: number }, result: ClassificationResult): void {
  const context = prepareCanvas(canvas);
  if (context === null) return;

  const area = containRect(picture.width, picture.height, canvas.clientWidth, canvas.clientHeight);
  context.drawImage(picture, area.x, area.y, area.width, area.height);
  drawDetections(context, result, area);
}

import type { ClassificationResult, ErrorPayload } from '../server/protocol.js';
import { byId } from './dom.js';
import { drawPictureWithDetections } from './overlay.js';
import { verdictText } from './views.js';

/** Wires the photo picker: the photo goes to `POST /api/classify` and the result is drawn locally. */
export function setUpUpload(): void {
  const input = byId('upload', HTMLInputElement);
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) void classifyPhoto(file);
    input.value = '';
  });
}

async function classifyPhoto(file: File): Promise<void> {
  const result = byId('upload-result', HTMLDivElement);
  const verdict = byId('upload-verdict', HTMLParagraphElement);
  const canvas = byId('upload-canvas', HTMLCanvasElement);
  result.hidden = false;
  verdict.textContent = 'Classifying…';

  let response: Response;
  try {
    response = await fetch('/api/classify', { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
  } catch {
    verdict.textContent = 'The server is unreachable. Try again when the connection is back.';
    return;
  }

  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: ErrorPayload } | null;
    verdict.textContent = `Not classified: ${body?.error?.message ?? `HTTP ${response.status}`}`;
    return;
  }

  const classification = (await response.json()) as ClassificationResult;
  const picture = await createImageBitmap(file);
  // Keep the photo's aspect ratio so the boxes line up.
  canvas.style.aspectRatio = `${picture.width} / ${picture.height}`;
  drawPictureWithDetections(canvas, picture, classification);
  picture.close();

  const confidence = classification.verdict === 'neither' ? '' : ` (${Math.round(classification.confidence * 100)}%)`;
  verdict.textContent = `${verdictText(classification.verdict)}${confidence} · ${Math.round(classification.timings.totalMs)} ms on the server`;
}

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

/** Image types the server classifies, by media type, with the names people know them by. */
const SUPPORTED_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp']);
const SUPPORTED_NAMES = 'JPEG, PNG or WebP';

/** Names a file's format for a message, e.g. "GIF" for image/gif, from its media type or its extension. */
function formatName(file: File): string {
  const subtype = file.type.startsWith('image/') ? file.type.slice('image/'.length) : '';
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(file.name)?.[1] ?? '';
  const name = (subtype || extension).replace(/\+xml$/, '').toUpperCase();
  return name === '' ? 'This file type' : name;
}

async function classifyPhoto(file: File): Promise<void> {
  const result = byId('upload-result', HTMLDivElement);
  const verdict = byId('upload-verdict', HTMLParagraphElement);
  const canvas = byId('upload-canvas', HTMLCanvasElement);
  result.hidden = false;

  // The previous photo and its boxes must not stay next to a new message.
  canvas.hidden = true;
  canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height);

  if (!SUPPORTED_TYPES.has(file.type)) {
    verdict.textContent = `${formatName(file)} is not supported; use ${SUPPORTED_NAMES}.`;
    return;
  }
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
    verdict.textContent = uploadErrorText(response.status, body?.error);
    return;
  }

  const classification = (await response.json()) as ClassificationResult;
  const picture = await createImageBitmap(file);
  // Keep the photo's aspect ratio so the boxes line up.
  canvas.style.aspectRatio = `${picture.width} / ${picture.height}`;
  canvas.hidden = false;
  drawPictureWithDetections(canvas, picture, classification);
  picture.close();

  const confidence = classification.verdict === 'neither' ? '' : ` (${Math.round(classification.confidence * 100)}%)`;
  verdict.textContent = `${verdictText(classification.verdict)}${confidence} · ${Math.round(classification.timings.totalMs)} ms on the server`;
}

/** Turns an error response into a sentence for people; the server's message covers the rest. */
function uploadErrorText(status: number, error: ErrorPayload | undefined): string {
  if (error === undefined) return `Not classified: the server returned HTTP ${status}.`;

  switch (error.code) {
    case 'ERR_UNSUPPORTED_MEDIA_TYPE':
    case 'ERR_UNSUPPORTED_FORMAT':
      return `This image format is not supported; use ${SUPPORTED_NAMES}.`;
    case 'ERR_SERVER_BUSY':
    case 'ERR_RATE_LIMITED':
      return 'The server is busy. Try again in a few seconds.';
    case 'ERR_SERVER_SHUTTING_DOWN':
    case 'ERR_MODEL_NOT_READY':
      return 'The server is restarting or still loading. Try again in a moment.';
    default:
      return `Not classified: ${error.message}`;
  }
}

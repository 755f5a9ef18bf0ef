import { io, type Socket } from 'socket.io-client';

import type {
  ClassificationEvent,
  ClassificationResult,
  ClientToServerEvents,
  ErrorPayload,
  JoinSessionAck,
  Member,
  Role,
  ServerToClientEvents,
  Verdict,
} from '../server/protocol.js';
import { Camera, CameraError } from './camera.js';
import { byId } from './dom.js';
import { FrameLoop } from './frame-loop.js';
import { LatencyMeter, RateMeter } from './meters.js';
import { containRect, drawDetections, drawPictureWithDetections, prepareCanvas } from './overlay.js';
import { copyText, shareUrl } from './session-link.js';
import { VerdictSmoother } from './verdict-smoother.js';
import {
  TIMELINE_LENGTH,
  appendTimeline,
  showBanner,
  showConnection,
  showCounts,
  showMeters,
  showPeople,
  showTimeline,
  showVerdict,
} from './views.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const JOIN_TIMEOUT_MS = 10_000;

/** The latest classified frame on a viewer's stage, kept to redraw it on resize. */
interface StageFrame {
  picture: ImageBitmap;
  result: ClassificationResult;
  cameraName: string;
}

/**
 * One tab in one session: the connection, its role, the stage (live video for a camera,
 * the latest classified frame for a viewer) and the session panels.
 */
export class LivePage {
  readonly #sessionId: string;
  readonly #socket: LiveSocket;
  readonly #camera = new Camera(byId('video', HTMLVideoElement));
  readonly #loop: FrameLoop;
  readonly #smoother = new VerdictSmoother();
  readonly #rate = new RateMeter();
  readonly #latency = new LatencyMeter();
  readonly #lastVerdicts = new Map<string, Verdict>();
  #role: Role = 'viewer';
  #joined = false;
  #maxFramesPerSecond = 15;
  #members: Member[] = [];
  #lastResult: ClassificationResult | null = null;
  #stageFrame: StageFrame | null = null;
  #stageCameraId: string | null = null;

  constructor(sessionId: string) {
    this.#sessionId = sessionId;
    this.#socket = io({ reconnectionDelayMax: 5_000 });
    this.#loop = new FrameLoop(this.#camera, this.#socket, {
      onResult: (result, latencyMs) => this.#onOwnResult(result, latencyMs),
      onError: (error) => this.#onFrameError(error),
      canSend: () => this.#joined && this.#role === 'camera',
    });
  }

  connect(): void {
    const socket = this.#socket;
    showConnection('connecting', 'Connecting…');

    socket.on('connect', () => void this.#join());
    socket.on('disconnect', (reason) => {
      this.#joined = false;
      // The server closing the connection on purpose is the only case without an automatic retry.
      if (reason === 'io server disconnect') socket.connect();
      showConnection('offline', 'Reconnecting…');
    });
    socket.on('connect_error', () => showConnection('offline', 'Server unreachable, retrying…'));
    socket.on('presence', (event) => this.#showPeople(event.members));
    socket.on('classification-result', (event) => void this.#onSessionResult(event));
    socket.on('protocol-error', (event) => console.warn(`server rejected ${event.event}: ${event.code} ${event.message}`));

    this.#wireControls();
  }

  async startCamera(deviceId?: string): Promise<void> {
    const toggle = byId('camera-toggle', HTMLButtonElement);
    toggle.disabled = true;
    try {
      await this.#camera.start(deviceId);
    } catch (error) {
      this.#showCameraMessage(error instanceof CameraError ? error.message : String(error), true);
      return;
    } finally {
      toggle.disabled = false;
    }

    this.#showCameraMessage(null);
    this.#role = 'camera';
    this.#smoother.reset();
    this.#showStage();
    await this.#fillCameraPicker();
    await this.#join();
    this.#loop.start(this.#maxFramesPerSecond);
  }

  async stopCamera(): Promise<void> {
    this.#loop.stop();
    this.#camera.stop();
    this.#role = 'viewer';
    this.#lastResult = null;
    this.#smoother.reset();
    showMeters(null, null);
    this.#showStage();
    await this.#join();
  }

  /** Joins (or rejoins after a reconnect or a role change) with the current role. */
  async #join(): Promise<void> {
    if (!this.#socket.connected) return;

    // The server names tabs ("Camera 3f9a"). Device labels are not sent because they can
    // reveal more about the device than the session needs.
    let ack: JoinSessionAck;
    try {
      ack = await this.#socket.timeout(JOIN_TIMEOUT_MS).emitWithAck('join-session', {
        sessionId: this.#sessionId,
        role: this.#role,
        historyLimit: TIMELINE_LENGTH,
      });
    } catch {
      showConnection('offline', 'Server not responding');
      return;
    }

    if (ack.status === 'error') {
      this.#joined = false;
      this.#onJoinError(ack.error);
      return;
    }

    this.#joined = true;
    this.#maxFramesPerSecond = ack.limits.maxFramesPerSecond;
    showConnection('online', this.#role === 'camera' ? 'Live · camera' : 'Live · viewing');
    showBanner(null);
    byId('share', HTMLButtonElement).disabled = false;
    showTimeline(ack.history);
    showCounts(ack.counts);
    this.#showPeople(ack.members);
  }

  #onJoinError(error: ErrorPayload): void {
    showConnection('offline', 'Not joined');
    if (error.code === 'ERR_SESSION_NOT_FOUND' || error.code === 'ERR_INVALID_SESSION_ID') {
      this.#loop.stop();
      this.#camera.stop();
      this.#clearSessionView();
      showBanner('This session has ended or never existed.', { href: '/', text: 'Start a new session' });
      return;
    }
    showBanner(`Could not join the session: ${error.message}`);
  }

  /** Removes everything that belonged to the ended session: badge, boxes, frame, members, meters and counts. */
  #clearSessionView(): void {
    this.#role = 'viewer';
    this.#lastResult = null;
    this.#smoother.reset();
    this.#stageFrame?.picture.close();
    this.#stageFrame = null;
    this.#stageCameraId = null;
    this.#lastVerdicts.clear();

    showVerdict(null, 0);
    showMeters(null, null);
    showTimeline([]);
    showCounts({ cats: 0, dogs: 0, frames: 0 });
    this.#showPeople([]);
    this.#showStage();
    byId('share', HTMLButtonElement).disabled = true;
  }

  #onOwnResult(result: ClassificationResult, latencyMs: number): void {
    this.#rate.tick();
    this.#latency.add(latencyMs);
    showMeters(this.#rate.rate(), this.#latency.value);

    this.#lastResult = result;
    const smoothed = this.#smoother.push(result.verdict, result.confidence);
    showVerdict(smoothed.verdict, smoothed.confidence);
    this.#drawLiveOverlay();
  }

  #onFrameError(error: ErrorPayload): void {
    // Shutdown and role changes are expected around reconnects, so they are not shown.
    if (error.code === 'ERR_SERVER_SHUTTING_DOWN' || error.code === 'ERR_NOT_A_CAMERA') return;
    this.#showCameraMessage(`Frame not classified: ${error.message}`);
  }

  async #onSessionResult(event: ClassificationEvent): Promise<void> {
    appendTimeline({ time: event.time, cameraId: event.cameraId, verdict: event.result.verdict, confidence: event.result.confidence });
    if (event.counts !== null) showCounts(event.counts);

    this.#lastVerdicts.set(event.cameraId, event.result.verdict);
    this.#showPeople(this.#members);

    // A camera tab shows its own live video, and viewers follow the camera that sent the latest thumbnail.
    if (this.#role === 'camera') return;
    if (event.thumbnail === null) {
      if (event.cameraId === this.#stageCameraId) this.#pushViewerVerdict(event.result);
      return;
    }

    // Browsers receive binary as an ArrayBuffer.
    const picture = await createImageBitmap(new Blob([event.thumbnail as ArrayBuffer], { type: 'image/jpeg' }));
    if (this.#stageCameraId !== event.cameraId) this.#smoother.reset();
    this.#stageFrame?.picture.close();
    this.#stageFrame = { picture, result: event.result, cameraName: event.cameraName };
    this.#stageCameraId = event.cameraId;
    this.#pushViewerVerdict(event.result);
    this.#showStage();
  }

  #pushViewerVerdict(result: ClassificationResult): void {
    this.#rate.tick();
    showMeters(this.#rate.rate(), null);
    const smoothed = this.#smoother.push(result.verdict, result.confidence);
    showVerdict(smoothed.verdict, smoothed.confidence);
  }

  #showPeople(members: Member[]): void {
    this.#members = members;
    showPeople(members, this.#socket.id, this.#lastVerdicts);
  }

  /** Shows the live video (camera), the latest classified frame (viewer) or the placeholder. */
  #showStage(): void {
    const video = byId('video', HTMLVideoElement);
    const frame = byId('frame', HTMLCanvasElement);
    const empty = byId('stage-empty', HTMLDivElement);
    const source = byId('stage-source', HTMLSpanElement);
    const toggle = byId('camera-toggle', HTMLButtonElement);

    const isCamera = this.#role === 'camera';
    video.hidden = !isCamera;
    frame.hidden = isCamera || this.#stageFrame === null;
    empty.hidden = isCamera || this.#stageFrame !== null;
    toggle.textContent = isCamera ? 'Stop camera' : 'Start camera';
    source.textContent = isCamera ? 'Your camera' : (this.#stageFrame?.cameraName ?? '');
    byId('camera-select', HTMLSelectElement).hidden = !isCamera || byId('camera-select', HTMLSelectElement).options.length < 2;

    if (!isCamera && this.#stageFrame === null) showVerdict(null, 0);
    this.#redraw();
  }

  #redraw(): void {
    if (this.#role === 'camera') {
      this.#drawLiveOverlay();
      return;
    }

    const overlay = prepareCanvas(byId('overlay', HTMLCanvasElement));
    overlay?.clearRect(0, 0, overlay.canvas.width, overlay.canvas.height);
    if (this.#stageFrame !== null) {
      drawPictureWithDetections(byId('frame', HTMLCanvasElement), this.#stageFrame.picture, this.#stageFrame.result);
    }
  }

  /** Draws the latest own result's boxes over the live video. */
  #drawLiveOverlay(): void {
    const canvas = byId('overlay', HTMLCanvasElement);
    const context = prepareCanvas(canvas);
    const video = this.#camera.video;
    if (context === null || this.#lastResult === null || video.videoWidth === 0) return;

    const area = containRect(video.videoWidth, video.videoHeight, canvas.clientWidth, canvas.clientHeight);
    drawDetections(context, this.#lastResult, area);
  }

  #wireControls(): void {
    byId('camera-toggle', HTMLButtonElement).addEventListener('click', () => {
      void (this.#role === 'camera' ? this.stopCamera() : this.startCamera());
    });

    byId('camera-select', HTMLSelectElement).addEventListener('change', (event) => {
      const deviceId = (event.target as HTMLSelectElement).value;
      void this.startCamera(deviceId);
    });

    const share = byId('share', HTMLButtonElement);
    share.addEventListener('click', async () => {
      const outcome = await copyText(shareUrl(this.#sessionId));
      const label = byId('share-label', HTMLSpanElement);
      label.textContent = outcome === 'copied' ? 'Link copied' : 'Copy link';
      if (outcome === 'copied') setTimeout(() => (label.textContent = 'Copy link'), 2_000);
    });

    byId('camera-message-upload', HTMLButtonElement).addEventListener('click', () => byId('upload', HTMLInputElement).click());

    new ResizeObserver(() => this.#redraw()).observe(byId('stage', HTMLDivElement));
  }

  async #fillCameraPicker(): Promise<void> {
    const select = byId('camera-select', HTMLSelectElement);
    const devices = await this.#camera.listDevices();
    const current = this.#camera.deviceId;

    select.replaceChildren(
      ...devices.map((device, index) => {
        const option = document.createElement('option');
        option.value = device.deviceId;
        option.textContent = device.label || `Camera ${index + 1}`;
        option.selected = device.deviceId === current;
        return option;
      }),
    );
    select.hidden = devices.length < 2;
  }

  /** Shows or hides the note under the stage; `offerUpload` adds a button that opens the photo picker. */
  #showCameraMessage(message: string | null, offerUpload = false): void {
    byId('camera-message', HTMLDivElement).hidden = message === null;
    byId('camera-message-text', HTMLParagraphElement).textContent = message ?? '';
    byId('camera-message-upload', HTMLButtonElement).hidden = !offerUpload;
  }
}

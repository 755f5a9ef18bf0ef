/** Long side of the frames sent to the server, in pixels. The model letterboxes to 512 anyway. */
const FRAME_LONG_SIDE = 512;
/** JPEG quality of sent frames: about 25-45 KB at 512 px for a typical webcam scene (estimate). */
const JPEG_QUALITY = 0.8;

export type CameraProblem = 'denied' | 'absent' | 'insecure' | 'unsupported' | 'failed';

/** A camera error with a reason the page can explain to people. */
export class CameraError extends Error {
  readonly problem: CameraProblem;

  constructor(problem: CameraProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

function toCameraError(error: unknown): CameraError {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new CameraError('denied', 'Camera access was denied. Allow it in the browser’s site settings, or classify a photo instead.');
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return new CameraError('absent', 'No camera was found on this device. You can still classify a photo, or open the link on a device with a camera.');
  }
  if (name === 'NotReadableError') {
    return new CameraError('failed', 'The camera is in use by another application or could not be started. Close the other app and try again.');
  }
  return new CameraError('failed', `The camera could not be started (${error instanceof Error ? error.message : String(error)}).`);
}

/** The webcam: stream selection and frame capture into JPEG. */
export class Camera {
  readonly video: HTMLVideoElement;
  readonly #canvas = document.createElement('canvas');
  #stream: MediaStream | null = null;

  constructor(video: HTMLVideoElement) {
    this.video = video;
  }

  get active(): boolean {
    return this.#stream !== null;
  }

  /** Id of the device in use, when the browser reports it. */
  get deviceId(): string | undefined {
    return this.#stream?.getVideoTracks()[0]?.getSettings().deviceId;
  }

  /** Starts the camera (a given device, or the default one), or throws CameraError. */
  async start(deviceId?: string): Promise<void> {
    if (!window.isSecureContext) {
      throw new CameraError('insecure', 'Browsers allow cameras only on HTTPS or localhost pages. Open this page over HTTPS, or classify a photo instead.');
    }
    if (navigator.mediaDevices?.getUserMedia === undefined) {
      throw new CameraError('unsupported', 'This browser cannot use a camera. You can still classify a photo.');
    }

    const video: MediaTrackConstraints = deviceId === undefined ? { width: { ideal: 1280 }, height: { ideal: 720 } } : { deviceId: { exact: deviceId } };
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    } catch (error) {
      throw toCameraError(error);
    }

    this.stop();
    this.#stream = stream;
    this.video.srcObject = stream;
    await this.video.play();
  }

  stop(): void {
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.video.srcObject = null;
  }

  /** Lists the video inputs. Labels are empty until the user has granted access once. */
  async listDevices(): Promise<MediaDeviceInfo[]> {
    if (navigator.mediaDevices?.enumerateDevices === undefined) return [];
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((device) => device.kind === 'videoinput');
  }

  /** Encodes the current video frame as JPEG with the long side at most FRAME_LONG_SIDE, or returns null when no frame is ready. */
  async captureJpeg(): Promise<Blob | null> {
    const { videoWidth, videoHeight } = this.video;
    if (this.#stream === null || videoWidth === 0 || videoHeight === 0) return null;

    const scale = Math.min(1, FRAME_LONG_SIDE / Math.max(videoWidth, videoHeight));
    this.#canvas.width = Math.round(videoWidth * scale);
    this.#canvas.height = Math.round(videoHeight * scale);

    const context = this.#canvas.getContext('2d');
    if (context === null) return null;
    context.drawImage(this.video, 0, 0, this.#canvas.width, this.#canvas.height);

    return new Promise((resolve) => this.#canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
  }
}

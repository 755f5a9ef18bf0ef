/**
 * Error codes that reach clients: in Socket.IO acknowledgements, `error` events and HTTP
 * bodies (`{ "error": { "code", "message" } }`). Clients branch on the code; the message
 * is for people and names the limit and the fix. docs/protocol.md lists them.
 */
export type ErrorCode =
  // Image input.
  | 'ERR_IMAGE_EMPTY'
  | 'ERR_IMAGE_TOO_LARGE'
  | 'ERR_NOT_AN_IMAGE'
  | 'ERR_UNSUPPORTED_FORMAT'
  | 'ERR_IMAGE_CORRUPT'
  | 'ERR_IMAGE_TOO_SMALL'
  | 'ERR_IMAGE_TOO_MANY_PIXELS'
  // Inference.
  | 'ERR_MODEL_NOT_READY'
  | 'ERR_INFERENCE_FAILED'
  | 'ERR_CLASSIFIER_CLOSED'
  // Sessions and the socket protocol.
  | 'ERR_INVALID_SESSION_ID'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_INVALID_PAYLOAD'
  | 'ERR_NOT_A_CAMERA'
  | 'ERR_RATE_LIMITED'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_UNKNOWN_EVENT'
  | 'ERR_SESSION_FULL'
  | 'ERR_SERVER_SHUTTING_DOWN'
  | 'ERR_SERVER_BUSY'
  // HTTP routing.
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_REQUEST_ABORTED'
  | 'ERR_INTERNAL';

/** HTTP status that `POST /api/classify` and friends use for each code. */
const httpStatusByCode: Readonly<Record<ErrorCode, number>> = {
  ERR_IMAGE_EMPTY: 400,
  ERR_IMAGE_TOO_LARGE: 413,
  ERR_NOT_AN_IMAGE: 400,
  ERR_UNSUPPORTED_FORMAT: 415,
  ERR_IMAGE_CORRUPT: 400,
  ERR_IMAGE_TOO_SMALL: 400,
  ERR_IMAGE_TOO_MANY_PIXELS: 413,
  ERR_MODEL_NOT_READY: 503,
  ERR_INFERENCE_FAILED: 500,
  ERR_CLASSIFIER_CLOSED: 503,
  ERR_INVALID_SESSION_ID: 400,
  ERR_SESSION_NOT_FOUND: 404,
  ERR_INVALID_PAYLOAD: 400,
  ERR_NOT_A_CAMERA: 403,
  ERR_RATE_LIMITED: 429,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_UNKNOWN_EVENT: 400,
  ERR_SESSION_FULL: 409,
  ERR_SERVER_SHUTTING_DOWN: 503,
  ERR_SERVER_BUSY: 503,
  ERR_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  // The client of an aborted request is gone, and 400 keeps it out of the 5xx counts.
  ERR_REQUEST_ABORTED: 400,
  ERR_INTERNAL: 500,
};

/** 503 codes that report the server's state (busy, loading, stopping) rather than a fault in it. */
const SERVICE_STATE_CODES: ReadonlySet<ErrorCode> = new Set(['ERR_SERVER_BUSY', 'ERR_SERVER_SHUTTING_DOWN', 'ERR_MODEL_NOT_READY', 'ERR_CLASSIFIER_CLOSED']);

/**
 * Tells whether an error is an expected outcome, either caused by the client or by the
 * server's current state, so it is logged without a stack at info or debug, not at error.
 */
export function isExpectedError(error: unknown): error is AppError {
  return error instanceof AppError && (error.httpStatus < 500 || SERVICE_STATE_CODES.has(error.code));
}

/** Wire form of an error, as sent to clients. */
export interface ErrorPayload {
  readonly code: ErrorCode;
  readonly message: string;
}

/** An error a client caused or can act on; its code and message are safe to send. */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }

  toPayload(): ErrorPayload {
    return { code: this.code, message: this.message };
  }
}

/** Invalid configuration found at start-up; the process should exit with the message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(httpStatusByCode, value);
}

/**
 * Converts anything thrown into a payload for a client. Unknown errors become
 * ERR_INTERNAL with a generic message, so their details are not sent to clients. The
 * caller logs the original error on the server.
 */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (error instanceof AppError) return error.toPayload();
  return { code: 'ERR_INTERNAL', message: 'internal server error; the server log has the details' };
}

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process logger: JSON lines on stdout, one object of fields first and a short
 * message second, e.g. `logger.info({ sessionId, ms }, 'frame classified')`.
 */
export function createLogger(level: string, name = 'catdog-live'): Logger {
  return pino({ name, level });
}

import { pino, type Logger } from 'pino';

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** pino's numeric levels, as they appear in each JSON line. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * Creates a real pino logger that keeps every JSON line it writes, so that tests can
 * assert on what a component logged and how often.
 */
export function createCapturingLogger(level = 'debug'): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const destination = {
    write(line: string): void {
      records.push(JSON.parse(line) as LogRecord);
    },
  };
  return { logger: pino({ level }, destination), records };
}

/** Returns the records whose message starts with `prefix`. */
export function recordsStartingWith(records: readonly LogRecord[], prefix: string): LogRecord[] {
  return records.filter((record) => record.msg.startsWith(prefix));
}

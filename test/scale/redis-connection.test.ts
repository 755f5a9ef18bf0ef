import { describe, expect, it, vi } from 'vitest';

import { RedisConnection } from '../../server/redis/connection.js';
import { findFreePort } from '../support/free-port.js';
import { RedisServerProcess } from '../support/redis-server.js';
import { createCapturingLogger, LOG_LEVEL, recordsStartingWith } from './log-capture.js';

describe('RedisConnection', () => {
  it('connects once redis starts after it', async () => {
    const port = await findFreePort();
    const { logger, records } = createCapturingLogger();
    const connection = RedisConnection.open(`redis://127.0.0.1:${port}`, logger);

    try {
      // Several attempts fail before redis-server exists; the warning comes once.
      await vi.waitFor(() => expect(records.filter((record) => record.msg === 'redis client error').length).toBeGreaterThanOrEqual(4), {
        timeout: 10_000,
      });
      expect(connection.ready).toBe(false);
      expect(connection.state).toBe('connecting');
      const warnings = recordsStartingWith(records, 'redis unreachable at start-up');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.level).toBe(LOG_LEVEL.warn);

      await using redis = await RedisServerProcess.start({ port });
      expect(await connection.waitUntilReady(5000)).toBe(true);
      expect(connection.state).toBe('up');
      expect(recordsStartingWith(records, 'redis connected')).toHaveLength(1);
      expect(redis.running).toBe(true);
    } finally {
      await connection.close();
    }
  });

  it('closes promptly while redis is down', async () => {
    await using redis = await RedisServerProcess.start();
    const { logger } = createCapturingLogger();
    const connection = RedisConnection.open(redis.url, logger);
    expect(await connection.waitUntilReady(5000)).toBe(true);

    await redis.stop();
    await vi.waitFor(() => expect(connection.state).toBe('down'));
    const startedAt = Date.now();

    await connection.close();

    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(connection.command.isOpen).toBe(false);
    expect(connection.subscriber.isOpen).toBe(false);
  });

  it('returns the same promise when closed twice', async () => {
    await using redis = await RedisServerProcess.start();
    const { logger, records } = createCapturingLogger();
    const connection = RedisConnection.open(redis.url, logger);
    expect(await connection.waitUntilReady(5000)).toBe(true);

    const first = connection.close();
    const second = connection.close();

    expect(second).toBe(first);
    await first;
    expect(recordsStartingWith(records, 'redis connections closed')).toHaveLength(1);
  });

  it('waits no longer than its timeout for redis', async () => {
    const port = await findFreePort();
    const { logger } = createCapturingLogger();
    const connection = RedisConnection.open(`redis://127.0.0.1:${port}`, logger);

    try {
      const startedAt = Date.now();
      expect(await connection.waitUntilReady(300)).toBe(false);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    } finally {
      await connection.close();
    }
  });
});

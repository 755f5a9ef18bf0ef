import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createApp } from '../../server/app/index.js';
import type { ClassifierPool } from '../../server/classifier/pool.js';
import { createLogger } from '../../server/logger.js';
import { MemorySessionStore } from '../../server/sessions/memory-store.js';
import type { HistoryEntry, SessionCounts } from '../../server/sessions/store.js';
import { readFixture } from '../support/fixtures.js';
import { createTestPool, joinSession, nextEvent, sendFrame, testConfig, type TestClient } from '../support/live-app.js';

/** The in-memory store with an outage switch, standing in for Redis going away mid-session. */
class FlakyStore extends MemorySessionStore {
  failing = false;

  override async append(sessionId: string, entry: HistoryEntry): Promise<SessionCounts> {
    if (this.failing) throw new Error('connection to the session store lost');
    return super.append(sessionId, entry);
  }
}

const config = testConfig();
let pool: ClassifierPool;

beforeAll(async () => {
  pool = await createTestPool(config);
});

afterAll(async () => {
  await pool.close();
});

describe('session store outage', () => {
  it('keeps classifying when history fails', async () => {
    const store = new FlakyStore({ historyLength: 10, sessionTtlSeconds: 3600 });
    const app = await createApp(config, createLogger('silent'), { pool, store });
    const client: TestClient = connect(`http://127.0.0.1:${app.port}`, { transports: ['websocket'], reconnection: false, forceNew: true });

    try {
      await store.create('D'.repeat(22));
      const joined = await joinSession(client, { sessionId: 'D'.repeat(22), role: 'camera' });
      expect(joined.status).toBe('ok');

      store.failing = true;
      const broadcast = nextEvent(client, 'classification-result');
      const ack = await sendFrame(client, await readFixture('cat/cat-001.jpg'));

      expect(ack.status).toBe('ok');
      if (ack.status === 'ok') {
        expect(ack.result.verdict).toBe('cat');
        expect(ack.counts).toBeNull();
      }
      const [event] = await broadcast;
      expect(event.counts).toBeNull();

      store.failing = false;
      const recovered = await sendFrame(client, await readFixture('cat/cat-001.jpg'));
      expect(recovered.status === 'ok' ? recovered.counts : undefined).toEqual({ cats: 1, dogs: 0, frames: 1 });
    } finally {
      client.disconnect();
      await app.close();
      await store.close();
    }
  });
});

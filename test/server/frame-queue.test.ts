import { describe, expect, it } from 'vitest';

import { FrameQueue, type QueuedFrame } from '../../server/app/frame-queue.js';
import type { FrameAck } from '../../server/protocol.js';

/** A queue whose processing finishes only when the test calls finishNext(). */
function controlledQueue() {
  const started: number[] = [];
  const finishers: Array<() => void> = [];
  const acks = new Map<number, FrameAck>();

  const queue = new FrameQueue(async (frame) => {
    started.push(frame.frameId);
    await new Promise<void>((resolve) => finishers.push(resolve));
    frame.ack({ status: 'dropped', frameId: -frame.frameId });
  });

  const frame = (frameId: number): QueuedFrame => ({ frameId, image: new Uint8Array([1]), ack: (ack) => acks.set(frameId, ack) });
  const finishNext = (): void => finishers.shift()?.();
  return { queue, started, acks, frame, finishNext };
}

describe('FrameQueue', () => {
  it('runs one frame and keeps one waiting', async () => {
    const { queue, started, acks, frame, finishNext } = controlledQueue();

    queue.submit(frame(1));
    queue.submit(frame(2));
    queue.submit(frame(3));

    expect(started).toEqual([1]);
    expect(queue.busy).toBe(true);
    expect(queue.waiting).toBe(1);
    expect(acks.get(2)).toEqual({ status: 'dropped', frameId: 2 });
    expect(acks.has(3)).toBe(false);

    finishNext();
    await expect.poll(() => started).toEqual([1, 3]);
    expect(queue.waiting).toBe(0);

    finishNext();
    await expect.poll(() => queue.busy).toBe(false);
  });

  it('rejects waiting and later frames on close', async () => {
    const { queue, acks, frame, finishNext } = controlledQueue();
    queue.submit(frame(1));
    queue.submit(frame(2));

    const closed = queue.close({ code: 'ERR_SERVER_SHUTTING_DOWN', message: 'closing' });
    queue.submit(frame(3));

    expect(acks.get(2)).toEqual({ status: 'error', error: { code: 'ERR_SERVER_SHUTTING_DOWN', message: 'closing' } });
    expect(acks.get(3)?.status).toBe('error');
    expect(acks.has(1)).toBe(false);

    finishNext();
    await closed;
    expect(acks.has(1)).toBe(true);
    await queue.close({ code: 'ERR_INTERNAL', message: 'second close' });
  });
});

import { once } from 'node:events';
import { createServer, type Server } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { ServerProcess } from '../support/server-process.js';

const processes: ServerProcess[] = [];
let blocker: Server | undefined;

afterEach(async () => {
  for (const server of processes.splice(0)) await server.stop();
  if (blocker !== undefined) await new Promise((resolve) => blocker!.close(resolve));
  blocker = undefined;
});

describe('server start-up', () => {
  it('reports a port in use in one line', async () => {
    blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');

    const failure = await ServerProcess.start({ PORT: String(address.port) }).then(
      (server) => {
        processes.push(server);
        return null;
      },
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );

    expect(failure).toContain('exited with code 1');
    expect(failure).toContain(`port ${address.port} is already in use; set PORT to a free port`);
    expect(failure).not.toMatch(/\n\s+at /);
  });

  it('exits 1 without a clean shutdown when the backend fails', async () => {
    const server = await ServerProcess.start({ CATDOG_BACKEND: 'node' });
    processes.push(server);

    const messages = (): string[] => server.logs.map((line) => String(line.msg));

    await expect.poll(() => server.child.exitCode, { timeout: 60_000 }).toBe(1);
    await expect.poll(() => messages().some((message) => message.startsWith('start-up failed'))).toBe(true);
    expect(messages()).not.toContain('shutdown complete');
  });
});

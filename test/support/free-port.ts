import { createServer } from 'node:net';

/**
 * Asks the operating system for a free TCP port on 127.0.0.1 and releases it again.
 *
 * NOTE: another process can take the port between this call and the moment the caller
 * binds it. Tests use this only for child processes (redis-server, replicas) that must
 * come back on the same port after a restart, where port 0 cannot work.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address from a listening server, got ${String(address)}`);
  }
  return address.port;
}

import { createAdapter } from '@socket.io/redis-adapter';

import type { Logger } from '../logger.js';
import type { RedisClient, RedisConnection } from './connection.js';

/** Prefix of the adapter's pub/sub channels; replicas of one deployment must agree on it. */
export const ADAPTER_CHANNEL_PREFIX = 'catdog-live';

/**
 * Time a replica waits for the other replicas to respond to a cross-replica request such
 * as fetchSockets(), in ms. Presence lists use it, so it bounds how late presence can be
 * when a replica dies without unsubscribing.
 */
export const ADAPTER_REQUEST_TIMEOUT_MS = 3000;

export type RedisAdapterConstructor = ReturnType<typeof createAdapter>;

/** Methods whose returned promises the adapter discards without a rejection handler. */
const PUBLISH_METHODS = new Set<PropertyKey>(['publish', 'PUBLISH']);
const SUBSCRIPTION_METHODS = new Set<PropertyKey>(['subscribe', 'SUBSCRIBE', 'pSubscribe', 'PSUBSCRIBE', 'unsubscribe', 'UNSUBSCRIBE', 'pUnsubscribe', 'PUNSUBSCRIBE']);

/**
 * Wraps a client so that the promises of the listed methods can no longer reject
 * unhandled. @socket.io/redis-adapter 8.3 calls `publish()` and `(p)unsubscribe()` without
 * awaiting them. With node-redis, a publish during an outage rejects at once because
 * offline queueing is off, and a command cut off by a disconnection rejects too. Unhandled,
 * either rejection would end the Node.js process (the default since Node.js 15).
 */
function catchDiscardedRejections(client: RedisClient, methods: ReadonlySet<PropertyKey>, onRejected: (error: unknown) => void): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'constructor') return value;

      // node-redis keeps its state in private class fields, so methods must run with the
      // real client as `this`, never the proxy.
      const method = value as (...args: unknown[]) => unknown;
      if (!methods.has(property)) return method.bind(target);

      return (...args: unknown[]): unknown => {
        const result = method.apply(target, args);
        if (result instanceof Promise) result.catch(onRejected);
        return result;
      };
    },
  });
}

/**
 * Creates the Socket.IO adapter that shares rooms, broadcasts and fetchSockets() between
 * replicas through Redis pub/sub. Pass the result to `io.adapter()`.
 *
 * While Redis is down, each replica still delivers broadcasts to its own clients, and
 * broadcasts meant for other replicas are dropped and counted (they are never replayed).
 * Cross-replica requests such as fetchSockets() reject, so callers must fall back to
 * local data (`io.local`) or report the error.
 *
 * @example
 * const redis = RedisConnection.open(config.redisUrl, logger);
 * io.adapter(createRedisAdapter(redis, logger));
 */
export function createRedisAdapter(connection: RedisConnection, logger: Logger): RedisAdapterConstructor {
  const publisher = catchDiscardedRejections(connection.command, PUBLISH_METHODS, (error) => {
    connection.monitor.recordDroppedPublish(error);
  });
  const subscriber = catchDiscardedRejections(connection.subscriber, SUBSCRIPTION_METHODS, (error) => {
    // The subscriber queues commands while offline, so this happens only when a
    // disconnection or close() cuts off a subscription change. node-redis sends the
    // current subscriptions again when it reconnects.
    logger.debug({ err: error }, 'redis subscription command failed');
  });

  return createAdapter(publisher, subscriber, {
    key: ADAPTER_CHANNEL_PREFIX,
    requestsTimeout: ADAPTER_REQUEST_TIMEOUT_MS,
  });
}

import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A minimal TCP load balancer for tests: it listens on a free port of 127.0.0.1 and sends
 * each new connection to the next backend port in turn, skipping backends that refuse the
 * connection. Clients that use the WebSocket transport only need no sticky sessions,
 * because each Socket.IO connection is one TCP connection.
 */
export class TcpBalancer {
  readonly #server: Server;
  readonly #connections = new Set<Socket>();
  #backends: number[];
  #next = 0;
  #closed: Promise<void> | undefined;

  private constructor(server: Server, backends: number[]) {
    this.#server = server;
    this.#backends = backends;
  }

  static async start(backendPorts: number[]): Promise<TcpBalancer> {
    const server = createServer();
    const balancer = new TcpBalancer(server, [...backendPorts]);
    server.on('connection', (client) => balancer.#forward(client));

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Replaces the backend list; established connections stay where they are. */
  setBackends(backendPorts: number[]): void {
    this.#backends = [...backendPorts];
    this.#next = 0;
  }

  /** Stops listening and closes every forwarded connection. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      for (const socket of this.#connections) socket.destroy();
      this.#server.close(() => resolve());
    });
    return this.#closed;
  }

  #forward(client: Socket, attempt = 0): void {
    if (attempt >= this.#backends.length) {
      client.destroy();
      return;
    }

    const port = this.#backends[this.#next % this.#backends.length]!;
    this.#next += 1;

    // Hold the client's bytes until the backend accepts, so a refused backend loses none.
    client.pause();
    if (attempt === 0) {
      this.#track(client);
      client.on('error', () => client.destroy());
    }
    const backend = connect({ host: '127.0.0.1', port });

    const tryNextBackend = (): void => {
      backend.destroy();
      if (!client.destroyed) this.#forward(client, attempt + 1);
    };
    backend.once('error', tryNextBackend);
    backend.once('connect', () => {
      backend.off('error', tryNextBackend);
      this.#track(backend);
      backend.on('error', () => client.destroy());
      client.on('close', () => backend.destroy());
      backend.on('close', () => client.destroy());

      client.pipe(backend);
      backend.pipe(client);
      client.resume();
    });
  }

  #track(socket: Socket): void {
    this.#connections.add(socket);
    socket.once('close', () => this.#connections.delete(socket));
  }
}

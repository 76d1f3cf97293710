import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a real server, so a test can do to a client's connections what a server
 * that stops does: close them all at once, in the order the test chooses. While `hold` is on, what
 * the clients send is kept back, so an operation stays in flight until the connections close.
 */
export interface TcpProxy {
  port: number;
  /** Keeps back what clients send from now on (their operations stay in flight). */
  hold(): void;
  /** Connections that sent something while held, in the order they did. */
  holding(): number;
  /**
   * Closes every connection in one go, as a server that goes away does: in the order they were
   * opened, those holding an operation last. Later connections are forwarded again.
   */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  const pairs: Array<{ client: net.Socket; server: net.Socket; held: boolean }> = [];
  let holding = false;
  const proxy = net.createServer((client) => {
    const server = net.connect(upstream);
    const pair = { client, server, held: false };
    pairs.push(pair);
    client.on('data', (chunk) => {
      if (holding) pair.held = true;
      else server.write(chunk);
    });
    server.on('data', (chunk) => client.write(chunk));
    const drop = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', drop).on('close', drop);
    server.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    hold: () => void (holding = true),
    holding: () => pairs.filter((p) => p.held).length,
    cut() {
      const order = [...pairs.filter((p) => !p.held), ...pairs.filter((p) => p.held)];
      pairs.length = 0;
      holding = false;
      for (const { client, server } of order) {
        client.destroy();
        server.destroy();
      }
    },
    async close() {
      for (const { client, server } of pairs) {
        client.destroy();
        server.destroy();
      }
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

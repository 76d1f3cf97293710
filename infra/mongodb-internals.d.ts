/**
 * The one class of the MongoDB driver used beyond its public API (infra/mongo-closed-connections.ts),
 * typed as far as it is used there.
 */
declare module 'mongodb/lib/cmap/connection' {
  import type { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export class Connection extends EventEmitter {
    socket: Socket;
    error: Error | null;
    id: number | string;
    address: string;
    writeCommand(command: unknown, options: unknown): Promise<void>;
  }
}

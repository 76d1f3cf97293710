import { MongoNetworkError } from 'mongodb';
import { Connection } from 'mongodb/lib/cmap/connection';

/**
 * The MongoDB driver (6.22.0; 7.9.1 writes the same way) can write a command to a socket that is
 * already destroyed — the server closed it and the connection has not yet seen the socket's
 * 'close' — and then waits for a 'drain' that never comes. When that command is the monitor's
 * check, the monitor never checks again: the server stays Unknown and every operation fails server
 * selection for good, in a process that lives on. It happens when a server goes away with an
 * operation in flight: the operation's connection is told first, its retry asks the monitor for a
 * check at once, and the monitor's own connection is closed but not yet marked so. A projector
 * then runs on without ever reaching MongoDB again (a MongoDB stopped for a few seconds is enough).
 *
 * Here a write to a socket that is already gone fails at once, with the error its connection will
 * report: the driver then handles it like any network error (the check fails, the server is marked
 * Unknown, the next check opens a new connection).
 */
let installed = false;

export function failWritesOnClosedConnections(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with the connection as `this` below
  const writeCommand = Connection.prototype.writeCommand;
  Connection.prototype.writeCommand = function (this: Connection, ...args: Parameters<Connection['writeCommand']>) {
    if (this.socket.destroyed)
      return Promise.reject(
        this.error ?? new MongoNetworkError(`connection ${String(this.id)} to ${this.address} closed`),
      );
    return writeCommand.apply(this, args);
  };
}

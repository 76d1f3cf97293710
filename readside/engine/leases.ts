import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db } from 'mongodb';

/**
 * Leases with fencing epochs, so that several projector processes can run and exactly one works on
 * each projection (and on the email subscription) at a time.
 *
 * - A lease document per unit: `{ _id: unit, holder, epoch, expiresAt }`. The holder renews it
 *   every LEASE_RENEW_MS; if it stops renewing (killed, frozen, partitioned), any other process
 *   takes it over once it expires (LEASE_TTL_MS), incrementing the epoch.
 * - The epoch fences the old holder, without transactions: the new holder first stamps its epoch
 *   on the unit's checkpoint, and every checkpoint write is conditional on that exact epoch, so the
 *   old holder's next checkpoint write is refused and it stops. Its read-model writes still in
 *   flight are conditional on `epoch <= its epoch` and raise the document's epoch: once the new
 *   holder has written a document, a late write of the old one to it matches nothing; a late write
 *   to a document the new holder has not reached yet lands, with the event's position recorded in
 *   the document, and the new holder skips that position when it gets there (it reads from the
 *   checkpoint in order, so that position is still in the document's window of recent positions).
 */
export const LEASE_TTL_MS = 3_000;
export const LEASE_RENEW_MS = 1_000;

interface LeaseDocument {
  _id: string;
  holder: string;
  epoch: number;
  expiresAt: Date;
}

export const leaseCollection = (db: Db) => db.collection<LeaseDocument>('leases');

/** This process's name in lease documents: host, pid and a random suffix (pids are reused). */
export const processHolderId = () => `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export function createLeases(db: Db, holder: string, ttlMs = LEASE_TTL_MS) {
  const leases = leaseCollection(db);
  const held = new Map<string, { epoch: number; renewedAt: number }>();

  async function acquire(unit: string): Promise<number | null> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + ttlMs);
    try {
      await leases.insertOne({ _id: unit, holder, epoch: 1, expiresAt });
      return 1;
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
    }
    const taken = await leases.findOneAndUpdate(
      { _id: unit, expiresAt: { $lt: now } },
      { $set: { holder, expiresAt }, $inc: { epoch: 1 } },
      { returnDocument: 'after' },
    );
    return taken?.holder === holder ? taken.epoch : null;
  }

  /**
   * Keeps or takes the unit's lease: the epoch while this process holds it, null otherwise.
   * Renews at most every LEASE_RENEW_MS, so calling it often costs nothing.
   */
  async function hold(unit: string): Promise<number | null> {
    const mine = held.get(unit);
    const now = Date.now();
    if (mine) {
      if (now - mine.renewedAt < LEASE_RENEW_MS) return mine.epoch;
      const renewed = await leases.updateOne(
        { _id: unit, holder, epoch: mine.epoch },
        { $set: { expiresAt: new Date(now + ttlMs) } },
      );
      if (renewed.matchedCount === 1) {
        mine.renewedAt = now;
        return mine.epoch;
      }
      held.delete(unit); // taken over while we were away
      return null;
    }
    const epoch = await acquire(unit);
    if (epoch !== null) held.set(unit, { epoch, renewedAt: now });
    return epoch;
  }

  return {
    holder,
    hold,
    /**
     * `hold` for several units, their renewals in one command. When it renewed fewer leases than it
     * named, one was taken over: each is then held alone, which finds out which (renewing the
     * others again is harmless).
     */
    async holdAll(units: string[]): Promise<Array<number | null>> {
      const now = Date.now();
      const due = units.flatMap((unit) => {
        const mine = held.get(unit);
        return mine && now - mine.renewedAt >= LEASE_RENEW_MS ? [{ unit, mine }] : [];
      });
      if (due.length > 1) {
        const renewed = await leases.bulkWrite(
          due.map(({ unit, mine }) => ({
            updateOne: {
              filter: { _id: unit, holder, epoch: mine.epoch },
              update: { $set: { expiresAt: new Date(now + ttlMs) } },
            },
          })),
          { ordered: false },
        );
        if (renewed.matchedCount === due.length) for (const { mine } of due) mine.renewedAt = now;
      }
      const epochs: Array<number | null> = [];
      for (const unit of units) epochs.push(await hold(unit));
      return epochs;
    },
    /** Gives every lease back (a clean shutdown hands over at once instead of after the TTL). */
    async releaseAll(): Promise<void> {
      await Promise.all(
        [...held].map(([unit, { epoch }]) =>
          leases.updateOne({ _id: unit, holder, epoch }, { $set: { expiresAt: new Date(0) } }),
        ),
      );
      held.clear();
    },
  };
}

export type Leases = ReturnType<typeof createLeases>;

/**
 * Runs a subscription only while this process holds `unit`'s lease, under the lease's epoch, and
 * stops it the moment the lease is lost; another process then takes it over.
 */
export function runWhileLeased(
  unit: string,
  leases: Leases,
  start: (epoch: number) => { stop(): Promise<void> },
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
  tickMs = 250,
) {
  let running: { epoch: number; stop(): Promise<void> } | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const epoch = await leases.hold(unit);
      if (running && running.epoch !== epoch) {
        await running.stop();
        running = undefined;
        log.info({ unit }, 'lease lost: handed over');
      }
      if (epoch !== null && !running && !stopped) {
        running = { epoch, ...start(epoch) };
        log.info({ unit, epoch }, 'lease taken: running');
      }
    } catch (err) {
      log.error({ err: String(err), unit }, 'lease tick failed');
    }
    if (!stopped) timer = setTimeout(() => void tick(), tickMs); // void: tick catches and logs its own failures
  };
  void tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.stop();
    },
  };
}

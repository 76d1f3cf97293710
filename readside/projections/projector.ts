import type { Db } from 'mongodb';
import type { EventStore } from '../../eventstore';
import type { Faults } from '../../infra/faults';
import { deadLetterCollection } from '../../infra/dead-letters';
import type { Logger } from '../../infra/logger';
import { checkpoints } from '../engine/checkpoints';
import type { LogWatcher } from '../engine/log-watcher';
import { checkpointIdOf, dropGeneration, projectionState, projectionStates } from './generations';
import { startProjectionInstance } from './instance';
import type { Leases } from '../engine/leases';
import type { Projection } from './types';

type Instance = ReturnType<typeof startProjectionInstance> & { generation: number; epoch: number };

/** How often the projections' states are read and their heartbeat written when nothing is under way. */
const STATES_EVERY_MS = 1_000;

export interface ProjectorOptions {
  db: Db;
  store: EventStore;
  faults?: Faults;
  log: Logger;
  /** How often the projector looks for rebuild requests and generation swaps. */
  tickMs?: number;
  maxAttempts?: number;
  watcher?: LogWatcher;
  /** Leases shared with the other projector processes (one holder per projection). */
  leases: Leases;
}

/**
 * Keeps every projection whose lease this process holds running (several projector processes
 * share the projections between them, one holder each; a projection whose holder dies is taken
 * over within LEASE_TTL_MS), and carries out rebuilds of those projections: a rebuild runs
 * generation N+1 from position 0 beside the live one; once it has caught up with the live one, it
 * is stopped, the pointer moves to N+1, the live subscription continues from N+1's checkpoint, and
 * generation N is dropped. Reads go to generation N until the pointer moves.
 */
export function startProjector(projections: Projection[], options: ProjectorOptions) {
  const { db, log } = options;
  const live = new Map<string, Instance>();
  const building = new Map<string, Instance>();
  let lastHeartbeat = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const start = (projection: Projection, generation: number, epoch: number): Instance =>
    Object.assign(startProjectionInstance(projection, generation, { ...options, epoch }), { generation, epoch });

  async function letGo(name: string) {
    await Promise.all([live.get(name)?.stop(), building.get(name)?.stop()]);
    if (live.delete(name)) log.info({ projection: name }, 'projection handed over to another projector');
    building.delete(name);
  }

  async function tick() {
    const held: Array<{ projection: Projection; epoch: number }> = [];
    // The leases of every projection renewed in one command, not one each.
    const epochs = await options.leases.holdAll(projections.map((projection) => `projection:${projection.name}`));
    for (const [i, projection] of projections.entries()) {
      const epoch = epochs[i]!;
      if (epoch === null) await letGo(projection.name);
      else held.push({ projection, epoch });
    }
    if (held.length === 0) return;
    const names = held.map(({ projection }) => projection.name);
    // Liveness, once a second (progress is the checkpoint's business), and the states: one
    // command each for every projection this process holds, not one per projection.
    const beat = Date.now() - lastHeartbeat >= STATES_EVERY_MS;
    if (beat) {
      lastHeartbeat = Date.now();
      await projectionStates(db).updateMany({ _id: { $in: names } }, { $set: { heartbeatAt: new Date() } });
    }
    // The states say which generation serves and whether a rebuild was asked for. They are read
    // on every tick only while this process has something to act on at once (a projection it has
    // just taken over, a rebuild under way); otherwise with the heartbeat, so a rebuild request is
    // taken up within a second.
    const acting =
      building.size > 0 || held.some(({ projection, epoch }) => live.get(projection.name)?.epoch !== epoch);
    if (!beat && !acting) return;
    const states = new Map(
      (
        await projectionStates(db)
          .find({ _id: { $in: names } })
          .toArray()
      ).map((s) => [s._id, s]),
    );
    for (const { projection, epoch } of held) {
      const state = states.get(projection.name) ?? (await projectionState(db, projection.name));
      const current = live.get(projection.name);
      if (!current || current.generation !== state.active || current.epoch !== epoch) {
        await current?.stop();
        live.set(projection.name, start(projection, state.active, epoch));
        log.info({ projection: projection.name, generation: state.active, epoch }, 'projection running');
      }
      if (state.building !== null) await advanceRebuild(projection, state.active, state.building, epoch);
    }
  }

  async function advanceRebuild(projection: Projection, active: number, generation: number, epoch: number) {
    let rebuild = building.get(projection.name);
    if (rebuild && rebuild.epoch !== epoch) {
      await rebuild.stop();
      building.delete(projection.name);
      rebuild = undefined;
    }
    if (!rebuild) {
      // Leftovers of an interrupted rebuild (here or in a projector that lost the lease).
      await dropGeneration(db, projection, generation);
      await checkpoints(db).deleteOne({ _id: checkpointIdOf(projection.name, generation) });
      rebuild = start(projection, generation, epoch);
      building.set(projection.name, rebuild);
      log.info({ projection: projection.name, generation }, 'rebuild started');
      return;
    }
    const liveInstance = live.get(projection.name)!;
    // Caught up when it is where the live one is; both at 0 (an empty log) is caught up too, and
    // swapping then is harmless: the new live subscription simply starts the log from the beginning.
    if (rebuild.position() < 0 || liveInstance.position() < 0 || rebuild.position() < liveInstance.position()) return;
    // Caught up: stop the rebuild where it is, then let the live subscription carry on from there.
    await rebuild.stop();
    building.delete(projection.name);
    await projectionStates(db).updateOne(
      { _id: projection.name, building: generation },
      { $set: { active: generation, building: null, swappedAt: new Date() } },
    );
    await liveInstance.stop();
    live.set(projection.name, start(projection, generation, epoch));
    await dropGeneration(db, projection, active);
    // The old generation's parked events and dead letters go with it; the new one met the same
    // events itself and parked its own if they still fail.
    await db.collection('parked_events').deleteMany({ instance: checkpointIdOf(projection.name, active) });
    await deadLetterCollection(db).updateMany(
      {
        source: 'projection',
        step: checkpointIdOf(projection.name, active),
        status: { $in: ['open', 'redrive-requested', 'discard-requested'] },
      },
      {
        $set: {
          status: 'discarded',
          resolvedAt: new Date(),
          resolution: `superseded by rebuild into generation ${generation}`,
        },
      },
    );
    await checkpoints(db).deleteOne({ _id: checkpointIdOf(projection.name, active) });
    log.info({ projection: projection.name, from: active, to: generation }, 'rebuild swapped in');
  }

  const loop = async () => {
    if (stopped) return;
    try {
      await tick();
    } catch (err) {
      log.error({ err: String(err) }, 'projector tick failed');
    }
    if (!stopped) timer = setTimeout(() => void loop(), options.tickMs ?? 250); // void: loop catches and logs its own failures
  };
  void loop();

  return {
    /** The live instance of a projection (for read-your-writes waits in the same process). */
    live: (name: string) => live.get(name),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.all([...live.values(), ...building.values()].map((i) => i.stop()));
      // Hand over at once rather than after the lease runs out.
      await options.leases.releaseAll().catch(() => {});
    },
  };
}

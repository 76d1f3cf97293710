import type { Collection, Db } from 'mongodb';

/** Services that can be made to fail on purpose (tests and demos). */
export const FAULTABLE_SERVICES = [
  'order',
  'payment',
  'inventory',
  'shipping',
  'email',
  'projection:orders',
  'projection:inventory',
  'projection:accounts',
  'projection:sales',
] as const;
export type FaultableService = (typeof FAULTABLE_SERVICES)[number];

export interface FaultSpec {
  /**
   * `error`: the service throws a technical (retryable) error, as if it were down.
   * `hang-after-effect`: the service does its work, then hangs before reporting success, so a
   *   worker can be killed between the side effect and the activity's completion.
   * `crash-after-resolve` (projections): the projector process kills itself (SIGKILL) right after
   *   it marked a dead letter redriven or discarded, before it released what waited behind it.
   */
  mode: 'error' | 'hang-after-effect' | 'crash-after-resolve';
  /** Fail this many calls, then recover. Unlimited when absent. */
  failures?: number;
  /** Stay faulty until this time. Unlimited when absent. */
  until?: Date;
  hangMs?: number;
  /** Only events of this stream fail (projections): how a poison event is simulated. */
  streamId?: string;
  /**
   * Only writes to this collection of the projection fail (its logical name, e.g. `orders`), while
   * the projection's other writes (its state, checkpoints, dead letters) succeed: a store that
   * fails for one collection.
   */
  collection?: string;
  /** Flaps: failing for `failingMs`, then working for `workingMs`, and again, counted from injection. */
  flap?: { failingMs: number; workingMs: number };
}

interface FaultDocument extends FaultSpec {
  _id: FaultableService;
  createdAt: Date;
}

export class ServiceUnavailableError extends Error {
  constructor(service: string) {
    super(`${service} service unavailable (fault injected)`);
    this.name = 'ServiceUnavailableError';
  }
}

/**
 * Faults live in MongoDB so that the API can switch them on for a worker in another process.
 * Off unless someone injects one; the API refuses to inject in production mode. With `enabled`
 * false (production, or FAULT_INJECTION=off) every check is a no-op that touches no database.
 */
export function createFaults(db: Db, enabled = true) {
  const faults = db.collection<FaultDocument>('faults');
  if (!enabled) return disabledFaults(faults);

  /**
   * The fault that applies to this call, if any. The common case — no fault — costs one read by
   * _id; only a counted fault takes the atomic decrement, so N injected failures fail exactly N calls.
   */
  async function active(
    service: FaultableService,
    mode: FaultSpec['mode'],
    streamId?: string,
    collection?: string,
  ): Promise<FaultDocument | null> {
    const fault = await faults.findOne({ _id: service });
    if (!fault || fault.mode !== mode) return null;
    if (fault.until && fault.until <= new Date()) return null;
    // A fault scoped to one stream hits that stream's events only (not a store-wide probe).
    if (fault.streamId !== undefined && fault.streamId !== streamId) return null;
    // A collection's fault strikes writes to it only, and only those: a service-wide fault is not
    // asked again at each write (a counted one would be used up twice as fast).
    if (fault.collection !== collection) return null;
    if (
      fault.flap &&
      (Date.now() - fault.createdAt.getTime()) % (fault.flap.failingMs + fault.flap.workingMs) >= fault.flap.failingMs
    )
      return null;
    if (fault.failures === undefined) return fault;
    return faults.findOneAndUpdate({ _id: service, mode, failures: { $gt: 0 } }, { $inc: { failures: -1 } });
  }

  return {
    async inject(service: FaultableService, spec: FaultSpec): Promise<void> {
      await faults.replaceOne({ _id: service }, { ...spec, createdAt: new Date() }, { upsert: true });
    },
    async clear(service: FaultableService): Promise<boolean> {
      return (await faults.deleteOne({ _id: service })).deletedCount > 0;
    },
    async list(): Promise<FaultDocument[]> {
      return faults.find().toArray();
    },
    /** Called at the start of a service call: throws when the service is "down". */
    async failIfDown(service: FaultableService, streamId?: string): Promise<void> {
      if (await active(service, 'error', streamId)) throw new ServiceUnavailableError(service);
    },
    /** Called before a write to one collection of a service (a projection's read model). */
    async failIfCollectionDown(service: FaultableService, collection: string): Promise<void> {
      if (await active(service, 'error', undefined, collection))
        throw new ServiceUnavailableError(`${service} (${collection})`);
    },
    /** Called between two writes that must survive a crash in between: dies there when asked. */
    async crashIfAsked(service: FaultableService): Promise<void> {
      if (await active(service, 'crash-after-resolve')) process.kill(process.pid, 'SIGKILL');
    },
    /** Called after a service's side effect: hangs when a kill-between-effect-and-completion drill is on. */
    async hangIfAsked(service: FaultableService): Promise<void> {
      const fault = await active(service, 'hang-after-effect');
      if (fault) await new Promise((r) => setTimeout(r, fault.hangMs ?? 60_000));
    },
  };
}

export type Faults = ReturnType<typeof createFaults>;

/** Fault injection switched off: nothing is ever injected, so nothing is ever read. */
function disabledFaults(faults: Collection<FaultDocument>) {
  const refuse = async () => {
    throw new Error('fault injection is off (production mode or FAULT_INJECTION=off)');
  };
  return {
    inject: refuse as (service: FaultableService, spec: FaultSpec) => Promise<void>,
    clear: refuse as (service: FaultableService) => Promise<boolean>,
    list: async () => faults.find().toArray(),
    failIfDown: async (_service: FaultableService, _streamId?: string) => {},
    failIfCollectionDown: async (_service: FaultableService, _collection: string) => {},
    crashIfAsked: async (_service: FaultableService) => {},
    hangIfAsked: async (_service: FaultableService) => {},
  };
}

import type { StoredEvent } from '../../eventstore';

/** What the retry policy made of an event: applied, or found poison and handed to `onPoison`. */
export type HandleOutcome = 'handled' | 'poison';
/**
 * Handles one event under the subscription's retry policy (subscriptions/retry.ts): the one place
 * that decides between retrying, stalling on a systemic failure and parking a poison event.
 */
export type HandleWithRetry = (event: StoredEvent) => Promise<HandleOutcome>;

/**
 * One consumer of the event log (an email sender, an analytics recorder, a read-model projection).
 * `handle` must be idempotent: after a crash the events since the last checkpoint are delivered again.
 */
export interface Subscription {
  name: string;
  /** Event types this subscription cares about; others only advance its checkpoint. All when absent. */
  eventTypes?: readonly string[];
  handle(event: StoredEvent): Promise<void>;
  /**
   * Handles a whole batch at once (fewer round trips). Optional; on any error the runner handles
   * the same events one by one through `handle` (which must therefore tolerate a half-done batch).
   */
  handleMany?(events: StoredEvent[]): Promise<void>;
  /**
   * Retry policy for an event whose handling throws. `maxAttempts: Infinity` blocks the
   * subscription on that event until it succeeds (the email service "recovers"); a finite number
   * parks it through `onPoison` and moves on.
   */
  retry?: { initialMs: number; maxMs: number; maxAttempts: number };
  onPoison?(event: StoredEvent, error: unknown, attempts: number): Promise<void>;
  /**
   * Asked around the last attempts of a failing event, before `onPoison`: is this event the problem
   * (true: park it), or is the projection or its store (false: keep retrying with backoff, never
   * park, report the subscription stalled)? Asked right before and right after each attempt from
   * the last of the budget on; the event is poison only when both answers around a failed attempt
   * are true (retry.ts), so a store that flaps cannot pass for healthy, and a store that comes back
   * while the event still fails turns the event into a poison event. Without it, every exhausted
   * event is poison.
   */
  isPoison?(event: StoredEvent, error: unknown): Promise<boolean>;
  /** Events for which this returns true are set aside (`park`) instead of handled: per-stream order behind a poison event. */
  shouldPark?(event: StoredEvent): boolean;
  park?(event: StoredEvent): Promise<void>;
  /**
   * Runs before each batch, in the same loop as handling. Events it handles itself (those released
   * from behind a resolved dead letter) go through `handle`, the same retry policy as the log's.
   */
  beforeBatch?(handle: HandleWithRetry): Promise<void>;
  /**
   * Runs after each batch has been handled and its readers told, in the same loop (operator
   * requests such as redrive): work that must not race with handling, nor delay the events it
   * would otherwise wait in front of. Events it handles go through `handle`, as in `beforeBatch`.
   */
  afterBatch?(handle: HandleWithRetry): Promise<void>;
  /**
   * Whether readers wait for the checkpoint as it moves. 'urgent' (the default): a `minPosition`
   * read of the subscription's read model waits for it, so it is written at once after a batch of
   * the subscription's own events. 'lazy': nobody waits for it (no readers, or readers answered
   * from the documents themselves), so it goes out with the next urgent write of any subscription
   * of the process or within LAZY_CHECKPOINT_MS (./checkpoints.ts), and urgently only when it
   * would otherwise fall CHECKPOINT_MAX_BEHIND behind (./runner.ts).
   */
  checkpoint?: 'urgent' | 'lazy';
  /** Where the checkpoint is kept; defaults to the subscription's name. */
  checkpointId?: string;
  /**
   * The lease epoch it runs under (subscriptions/leases.ts). The subscription first stamps it on the
   * checkpoint (refused if a newer epoch is there), and every checkpoint write is conditional on
   * it: once another process took the lease over, this one's next write is refused and it stops.
   */
  epoch?: number;
}

export interface RunningSubscription {
  stop(): Promise<void>;
  /** Every event at or below this position has been handled (or parked); -1 until the checkpoint is read. */
  position(): number;
  /** Resolves once the subscription has handled everything up to `position`. */
  caughtUp(position: number, timeoutMs: number): Promise<boolean>;
}

import type { CompensationStep } from '../../domain/orders/saga';
import type { ServiceName } from '../../domain/orders/saga-settings';

/** One way to undo a step: the activity, and its argument computed when it runs (kept in a dead letter). */
export interface Compensation<A extends object = object> {
  step: CompensationStep;
  service: ServiceName;
  args: () => A;
  run: (args: A) => Promise<unknown>;
}

/** Builds a compensation whose argument type the compiler checks against its activity. */
export function compensation<A extends object>(
  step: CompensationStep,
  service: ServiceName,
  run: (args: A) => Promise<unknown>,
  args: () => A,
): Compensation {
  return { step, service, args, run: run as (args: object) => Promise<unknown> };
}

/**
 * The saga's undo log. A compensation is pushed before its step runs, because a step that timed
 * out may still have taken effect; every compensation is idempotent and harmless when its step
 * never happened. Undone last-in, first-out.
 */
export class CompensationStack {
  readonly #entries: Compensation[] = [];

  push(entry: Compensation): void {
    this.#entries.unshift(entry);
  }

  /** Newest first: the order in which to undo. */
  inUndoOrder(): readonly Compensation[] {
    return this.#entries;
  }
}

import type { SagaSettings, ServiceName } from '../../domain/orders/saga-settings';
import type { SagaStep } from '../../domain/orders/saga';
import type { CompensationStack } from './compensation-stack';
import type { SagaHandles } from './handlers';
import type { StepContext } from './steps';
import { isServiceUnavailable, outagesWaitedOut, waitForBreaker } from './breaker-wait';
import type { SagaPatches } from './patches-in-force';
import { awaitRepairedArgs, waitsForRepair } from './repair';

/** Everything one saga's steps, handlers and compensations work with, built once when it starts. */
export interface Saga extends StepContext, SagaHandles {
  /** The input's settings with a policy for every service. */
  readonly settings: SagaSettings;
  readonly undo: CompensationStack;
  /** What its patches answer, asked when it started (patches-in-force.ts): read where a patch guards a step. */
  readonly patches: SagaPatches;
}

/**
 * Runs one forward step, remembering exactly the arguments it used (a dead letter keeps them). Two
 * failures do not fail it: an outage of its service (its breaker open) is waited out, not counted
 * against the step, and a failure an operator can fix waits for a repair, which may run the step
 * again with new arguments. One loop, so that each step costs the workflow few promises.
 */
export async function runStep<A, R>(
  saga: Saga,
  name: SagaStep,
  service: ServiceName,
  args: A,
  run: (args: A) => Promise<R>,
): Promise<R> {
  const { state } = saga;
  state.at(name);
  let current = args;
  for (;;) {
    state.running = { name, service, args: current };
    const guarded = outagesWaitedOut(saga, service);
    try {
      const result = await run(current);
      state.view.stepsDone.push(name);
      return result;
    } catch (err) {
      if (guarded && isServiceUnavailable(err)) await waitForBreaker(saga, name, guarded);
      else if (waitsForRepair(saga, name, err)) current = (await awaitRepairedArgs(saga, name, err)) as A;
      else throw err;
    }
  }
}

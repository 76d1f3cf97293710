import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import type { Activities } from '../../../activities';
import { cancelUpdate, statusQuery, updateShippingAddressUpdate } from '../../../workflows/definitions';
import type { ShippingAddress } from '../../../domain/orders';
import { waitFor } from '../../helpers/wait-for';
import { SAGA_STEPS } from '../../../domain/orders/steps';
import { COMPENSATION_OF, STEPS, type CancelChannel, type Cell, type Step } from './cells';

/** The activity that carries each step (approval's is the recording of the decision). */
export const ACTIVITY_OF: Record<Step, string> = Object.fromEntries(
  STEPS.map((step) => [step, step === 'approval' ? 'recordApproval' : step]),
) as Record<Step, string>;

/** The activity that runs just before each step, where a cancel "before the step" is sent (the approval is no activity). */
const ACTIVITY_STEPS = STEPS.filter((step) => step !== 'approval');
const BEFORE: Partial<Record<Step, string>> = Object.fromEntries(
  ACTIVITY_STEPS.slice(1).map((step, i) => [step, ACTIVITY_STEPS[i]]),
);

const BUSINESS_FAILURE_OF: Partial<Record<Step, string>> = Object.fromEntries(
  SAGA_STEPS.map((s) => [s.step, s.businessFailure]),
);

/** What one cell's saga went through, as seen by the fault layer. */
export interface CellRun {
  cell: Cell;
  orderId: string;
  workflowId: string;
  /** Attempts beyond which an outage of an unlimited-retry activity ends (it must outlast every budget). */
  outageAttempts: number;
  /** Set once the saga has ended: outages are over, compensations can be redriven. */
  healed: boolean;
  cancel?: { channel: CancelChannel; accepted: boolean };
  /** A cancel sent by the driver as the saga starts, until the saga has decided on it. */
  cancelling?: Promise<void>;
  /** How `compensation-fails` cancels: the Update, or a raw cancel for sagas that predate it. */
  triggerChannel: CancelChannel;
  addresses?: { applied: ShippingAddress[]; refused: number };
  /** Settles `addresses` once both address updates have finished. */
  addressOutcomes?: Promise<void>;
  /** How each activity of the saga ran: as a local activity or a normal one. */
  ranAs?: Record<string, Set<'local' | 'normal'>>;
  /** A cancel the saga can decide on only after a local step: the next normal activity waits for the decision. */
  decidedAfterLocalStep?: Promise<void>;
}

/**
 * The real activities (real MongoDB, real rules), with the cell's fault injected around the one
 * activity it targets: failures before the effect, crashes after it, cancels at a chosen moment,
 * outages of the order service or the dead-letter store. Sagas of no cell run untouched.
 */
export function faultyActivities(real: Activities, runs: Map<string, CellRun>, client: () => Client): Activities {
  const wrapped: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, fn] of Object.entries(real) as Array<[string, (...args: unknown[]) => Promise<unknown>]>) {
    wrapped[name] = async (...args: unknown[]) => {
      const orderId = (args[0] as { orderId?: unknown } | undefined)?.orderId;
      const run = typeof orderId === 'string' ? runs.get(orderId) : undefined;
      if (!run) return fn(...args);
      const { attempt, isLocal } = Context.current().info;
      run.ranAs ??= {};
      (run.ranAs[name] ??= new Set()).add(isLocal ? 'local' : 'normal');
      return intercept(run, name, attempt, isLocal, () => fn(...args), client());
    };
  }
  return wrapped as unknown as Activities;
}

const down = (what: string) => ApplicationFailure.retryable(`${what} is down (matrix fault)`, 'MatrixOutage');

/**
 * `isLocal`: the activity runs as a local activity, inside the saga's workflow task, so the saga
 * cannot take a message (a cancel, an address change) until it returns. A message sent from inside
 * it is left to land when it may (`run.cancelling`) instead of being waited for, which would hold
 * the workflow task until it timed out: the cancel reaches the saga once the step is recorded,
 * when the saga has scheduled its next step. That step waits for the decision before its effect,
 * as a step does in the other cancel cells: the time-skipping server fails the workflow task that
 * cancels an activity which completed meanwhile instead of handing the completion to a new task.
 */
async function intercept(
  run: CellRun,
  name: string,
  attempt: number,
  isLocal: boolean,
  effect: () => Promise<unknown>,
  client: Client,
): Promise<unknown> {
  const { cell } = run;
  const decideLater = (sent: Promise<void>) => {
    // Awaited by the cell once the saga ended; a rejection until then is not an unhandled one.
    sent.catch(() => undefined);
    run.cancelling = sent;
    run.decidedAfterLocalStep = sent;
  };
  const cancel = async (channel: CancelChannel): Promise<void> => {
    const sent = sendCancel(run, client, channel);
    if (!isLocal) return sent;
    decideLater(sent);
  };
  if (!isLocal && run.decidedAfterLocalStep) await run.decidedAfterLocalStep;
  if (!run.healed) {
    if (cell.fault === 'order-service-outage' && (name === 'markCompensating' || name === 'cancelOrder'))
      throw down('the order service');
    if (cell.fault === 'dead-letter-store-outage' && name === 'recordDeadLetter' && attempt <= run.outageAttempts)
      throw down('the dead-letter store');
    if (cell.fault === 'compensation-fails' && name === COMPENSATION_OF[cell.step]) throw down(`${name}'s service`);
  }
  if (cell.fault === 'cancel-before' && name === BEFORE[cell.step]) {
    // The previous step finishes its effect, then the cancel lands: the saga decides on it before
    // it schedules the step (approval's "before" is played by the operator, createOrder's at start).
    const result = await effect();
    if (attempt === 1) await cancel(cell.channel!);
    return result;
  }
  if (name !== ACTIVITY_OF[cell.step]) return effect();

  switch (cell.fault) {
    case 'business': {
      const type = BUSINESS_FAILURE_OF[cell.step];
      if (!type) return effect();
      throw ApplicationFailure.nonRetryable(`${cell.step} refused (matrix business failure)`, type);
    }
    case 'exhausted':
    case 'order-service-outage':
    case 'dead-letter-store-outage':
      // Past the point of no return the step retries without limit: the outage ends eventually.
      if (cell.step === 'completeOrder' && attempt > run.outageAttempts) return effect();
      throw down(`${cell.step}'s service`);
    case 'cancel-before':
      // A local step's saga decides on the cancel only after the step: it was either decided before
      // the step was scheduled (then the step never runs) or lands once the step is recorded.
      if (isLocal && run.cancelling) decideLater(run.cancelling);
      else await run.cancelling;
      return effect();
    case 'cancel-during': {
      if (attempt === 1) await cancel(cell.channel!);
      return effect();
    }
    case 'cancel-in-backoff': {
      if (attempt > 1) return effect();
      // Cancel once the failed attempt has reached the server, so it lands during the backoff.
      run.cancelling = new Promise((r) => setTimeout(r, 200)).then(() => sendCancel(run, client, cell.channel!));
      if (isLocal) decideLater(run.cancelling);
      throw down(`${cell.step}'s service (first attempt)`);
    }
    case 'cancel-after': {
      const result = await effect();
      if (attempt === 1) await cancel(cell.channel!);
      return result;
    }
    case 'compensation-fails': {
      const result = await effect();
      if (attempt === 1) await cancel(run.triggerChannel);
      return result;
    }
    case 'crash-after-effect': {
      const result = await effect();
      if (attempt === 1) throw down('the worker (killed after the effect)');
      return result;
    }
    case 'address-race':
      if (attempt === 1) {
        const racing = raceAddresses(run, client);
        if (isLocal) run.addressOutcomes = racing.then(() => run.addressOutcomes);
        else await racing;
      }
      return effect();
    default:
      return effect();
  }
}

/**
 * Sends a cancel and waits until the saga has decided on it, so the cell knows whether the step
 * it interrupts should go on: the Update answers at once; a raw cancel is decided in the next
 * workflow task after the cancel request.
 */
export async function sendCancel(run: CellRun, client: Client, channel: CancelChannel): Promise<void> {
  const handle = client.workflow.getHandle(run.workflowId);
  if (channel === 'update') {
    try {
      await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'matrix' }] });
      run.cancel = { channel, accepted: true };
    } catch (err) {
      if (!(err instanceof WorkflowUpdateFailedError)) throw err;
      run.cancel = { channel, accepted: false };
    }
    return;
  }
  await handle.cancel();
  await waitFor(`${run.workflowId} to take a workflow task after the cancel request`, async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const requested = events.findIndex((e) => e.workflowExecutionCancelRequestedEventAttributes);
    return requested >= 0 && events.slice(requested).some((e) => e.workflowTaskCompletedEventAttributes);
  });
  const state = await handle.query(statusQuery);
  // The first version of the saga had no point of no return: it took every cancel.
  run.cancel = {
    channel,
    accepted:
      state.cancelRequested === undefined ? true : state.cancelRequested === true && (state.cancelsIgnored ?? 0) === 0,
  };
}

/** Two address changes in a row while the step runs; the saga must ship the last one it applied. */
async function raceAddresses(run: CellRun, client: Client): Promise<void> {
  const handle = client.workflow.getHandle(run.workflowId);
  run.addresses = { applied: [], refused: 0 };
  const outcomes: Array<Promise<ShippingAddress | undefined>> = [];
  for (const line1 of ['1 First Change St', '2 Second Change Ave']) {
    const address: ShippingAddress = { line1, city: 'Springfield', postalCode: '12345', country: 'US' };
    // A refusal may come from the validator (at acceptance) or from the handler (queued behind the
    // booking): either way the update's outcome says whether the change was applied.
    const started = handle.startUpdate(updateShippingAddressUpdate, {
      args: [address],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await started.catch(() => undefined);
    outcomes.push(
      started
        .then((u) => u.result())
        .then(
          () => address,
          () => undefined,
        ),
    );
  }
  run.addressOutcomes = Promise.all(outcomes).then((applied) => {
    run.addresses!.applied = applied.filter((a): a is ShippingAddress => a !== undefined);
    run.addresses!.refused = applied.length - run.addresses!.applied.length;
  });
}

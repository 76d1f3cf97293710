import { upsertMemo } from '@temporalio/workflow';
import type { CompensationOf, ForwardStep } from '../../domain/orders/steps';
import type { OrderFacts, OrderSagaInput } from '../../domain/orders/saga';
import type { StepActivities } from './activities';
import type { SagaState } from './state';

/** What a step's arguments are made of. */
export interface StepContext {
  readonly input: OrderSagaInput;
  readonly ctx: { orderId: string; correlationId: string };
  readonly facts: OrderFacts;
  readonly state: SagaState;
}

type Argument<A extends keyof StepActivities> = Parameters<StepActivities[A]>[0];

interface StepCall<S extends ForwardStep> {
  /** The step's activity argument, computed just before it runs (a dead letter keeps it). */
  args: (c: StepContext) => Argument<S>;
  /** Its compensation's argument, computed when the compensation runs. */
  undo: (c: StepContext) => Argument<CompensationOf<S>>;
  /** What the saga learns from the step's result. */
  done?: (c: StepContext, result: Awaited<ReturnType<StepActivities[S]>>) => void;
}

/**
 * The workflow's half of the step table (domain/orders/steps.ts holds the names, services,
 * compensations, checkpoints and summaries): what each step and its compensation are called with.
 * Keyed by every forward step, so a step added to the domain table fails to compile until it is here.
 */
export const STEP_CALLS: { readonly [S in ForwardStep]: StepCall<S> } = {
  createOrder: {
    args: ({ input }) => input,
    undo: ({ ctx, facts, state }) => ({
      ...ctx,
      reason: state.view.failureReason ?? 'cancelled',
      order: facts,
      openCompensations: [...state.view.compensationsFailed],
    }),
    done: ({ state }, created) => {
      state.view.total = created.total;
      upsertMemo({ total: created.total, items: created.items.length });
      state.priced = { items: created.items, total: created.total, requiresApproval: created.requiresApproval };
    },
  },
  processPayment: {
    args: ({ ctx, input, state }) => ({ ...ctx, accountId: input.accountId, amount: state.priced!.total }),
    undo: ({ ctx, input }) => ({ ...ctx, accountId: input.accountId }),
  },
  reserveItems: {
    args: ({ ctx, input }) => ({ ...ctx, items: input.items }),
    undo: ({ ctx, input }) => ({ ...ctx, items: input.items }),
  },
  scheduleShipment: {
    args: ({ ctx, state }) => ({ ...ctx, address: state.view.shippingAddress }),
    undo: ({ ctx }) => ctx,
  },
};

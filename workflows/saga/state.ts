import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import {
  ADDRESS_CHANGEABLE_STATUSES,
  CANCELLABLE_STATUSES,
  INITIAL_STATUS,
  ORDER_STATUS,
  PASSING_STATUSES,
} from '../../domain/orders/status';
import { SAGA_STEPS } from '../../domain/orders/steps';
import { currentDetails } from '../story';
import { OrderStatusKey } from '../../infra/search-attribute-keys';
import type { OrderPlaced, OrderSagaInput, SagaStatus, SagaStep } from '../../domain/orders/saga';
import type { RepairRequest } from '../../domain/orders/repair';
import type { OrderStatus, PricedItem } from '../../domain/orders/contract';
import type { ServiceName } from '../../domain/orders/saga-settings';

/** The step that settles the address: once it starts, address changes are refused. */
const SETTLES_ADDRESS = SAGA_STEPS.find((s) => 'settlesAddress' in s && s.settlesAddress)!.step;

/** The forward step in flight, with exactly the arguments it was called with (a dead letter keeps them). */
export interface RunningStep {
  name: SagaStep;
  service: ServiceName;
  args: unknown;
}

/** One saga's state: what the status query shows, and what its handlers and steps decide on. */
export class SagaState {
  /** The `status` query's answer, a plain object (the query serializes it as it is). */
  readonly view: SagaStatus;
  /** What the first step decided (prices, approval), for the `placed` Update; set once. */
  priced?: { items: PricedItem[]; total: number; requiresApproval: boolean };
  decision?: { approved: boolean; by?: string; reason?: string };
  /** The operator's repair of the step that waits in NEEDS_ATTENTION; cleared when the saga takes it. */
  repair?: RepairRequest;
  forwardEnded = false;
  cancelReason = 'cancelled';
  cancelledByWorkflowCancel = false;
  running?: RunningStep;

  constructor(private readonly input: OrderSagaInput) {
    this.view = {
      orderId: input.orderId,
      status: INITIAL_STATUS,
      currentStep: null,
      stepsDone: [],
      compensationsDone: [],
      compensationsFailed: [],
      awaitingApproval: false,
      failureReason: null,
      total: null,
      shippingAddress: input.shippingAddress,
      cancelRequested: false,
      pastPointOfNoReturn: false,
      cancelsIgnored: 0,
      openDeadLetters: [],
    };
  }

  /**
   * Every status is in the status query and the current details at once; the OrderStatus search
   * attribute, for filtering in the Web UI, follows only the statuses operators search for: every
   * upsert is a visibility write on the server (see STATUS_ATTRIBUTE_AT_MILESTONES).
   */
  setStatus(status: OrderStatus): void {
    this.view.status = status;
    if (!PASSING_STATUSES.includes(status)) upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    this.tell();
  }

  /** The Web UI's current details follow the status and the step (no command: nothing to replay). */
  tell(): void {
    setCurrentDetails(currentDetails(this.view.status, this.view.currentStep, this.view.total));
  }

  at(step: SagaStep | SagaStatus['currentStep']): void {
    this.view.currentStep = step;
    this.tell();
  }

  /** Accepts a cancel unless the saga is past its point of no return or already undoing itself. */
  get cancellable(): boolean {
    const s = this.view;
    return !s.pastPointOfNoReturn && !s.cancelRequested && CANCELLABLE_STATUSES.includes(s.status);
  }

  get refusal(): string {
    const s = this.view;
    if (s.pastPointOfNoReturn || s.status === ORDER_STATUS.COMPLETED)
      return `Order ${s.orderId} is past the point of no return: it is completing and can no longer be cancelled`;
    return `Order ${s.orderId} is already being cancelled (status ${s.status})`;
  }

  get addressChangeAllowed(): boolean {
    const s = this.view;
    return (
      ADDRESS_CHANGEABLE_STATUSES.includes(s.status) &&
      !s.cancelRequested &&
      s.currentStep !== SETTLES_ADDRESS &&
      !s.stepsDone.includes(SETTLES_ADDRESS)
    );
  }

  get addressRefusal(): string {
    const s = this.view;
    return `The shipping address can no longer change: the order is ${s.cancelRequested ? 'being cancelled' : s.status}${s.currentStep === SETTLES_ADDRESS ? ' and its shipment is being booked' : ''}`;
  }

  placement(workflowId: string): OrderPlaced {
    return {
      orderId: this.input.orderId,
      workflowId,
      status: this.view.status,
      total: this.priced?.total ?? null,
      items: this.priced?.items ?? this.input.items.map((i) => ({ ...i, unitPrice: null })),
      requiresApproval: this.priced?.requiresApproval ?? false,
    };
  }
}

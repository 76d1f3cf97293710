import {
  ACTIVITY_STEPS,
  APPROVAL,
  compensationsThrough,
  stepsThrough,
  type ForwardStep,
} from '../../domain/orders/steps';

/** The activities a completed saga schedules, in order, from the step table; with the approval's record after its step when it waited for one. */
export const completedPath = ({ approved = false }: { approved?: boolean } = {}): string[] =>
  ACTIVITY_STEPS.flatMap((s): string[] => (approved && s === APPROVAL.after ? [s, 'recordApproval'] : [s]));

/** The activities a saga schedules when it fails or is cancelled at `step` (after attempting it): the steps through it, then the undoing, newest first. */
export const compensatedPath = (step: ForwardStep): string[] => [
  ...stepsThrough(step),
  'markCompensating',
  ...compensationsThrough(step),
];

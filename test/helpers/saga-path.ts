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

/** A history event as `temporal workflow show --output json` prints it (payloads base64 or, by default, as their JSON). */
export interface ShownHistoryEvent {
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  markerRecordedEventAttributes?: {
    markerName?: string;
    details?: { data?: { payloads?: Array<{ data?: string; activity_type?: string }> } };
  };
}

/**
 * The activity an event shows the saga calling, if any: an activity task scheduled, or a local
 * activity's marker (`core_local_activity`: createOrder and completeOrder run in the worker,
 * workflows/saga/local.ts). Activities in the order the saga called them, whichever way.
 */
export function calledActivity(e: ShownHistoryEvent): string | undefined {
  if (e.activityTaskScheduledEventAttributes) return e.activityTaskScheduledEventAttributes.activityType.name;
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const payload = marker.details?.data?.payloads?.[0];
  if (payload?.activity_type) return payload.activity_type;
  if (!payload?.data) return undefined;
  return (JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as { activity_type?: string }).activity_type;
}

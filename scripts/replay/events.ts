/** History events as the Web UI and `temporal workflow show` name them, and the patch markers among them. */
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

export function describeEvent(event: temporal.api.history.v1.IHistoryEvent): string {
  // ActivityTaskScheduled, as the Web UI and `temporal workflow show` name it.
  const type = (EventType[event.eventType ?? 0] ?? String(event.eventType))
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
  const patchId = patchIdOf(event);
  if (patchId) return `${type} (patch '${patchId}')`;
  const localActivity = localActivityOf(event);
  if (localActivity) return `${type} (local activity '${localActivity}')`;
  const name =
    event.activityTaskScheduledEventAttributes?.activityType?.name ??
    event.workflowExecutionSignaledEventAttributes?.signalName ??
    event.markerRecordedEventAttributes?.markerName ??
    event.timerStartedEventAttributes?.timerId ??
    event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
  return name ? `${type} '${name}'` : type;
}

/** The id of a patch marker (what `patched(id)` recorded), if the event is one. */
export function patchIdOf(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_patch') return undefined;
  const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
  try {
    return data ? (JSON.parse(Buffer.from(data).toString()) as { id?: string }).id : undefined;
  } catch {
    return undefined;
  }
}

/** The activity type a local activity's marker recorded (the replayer's marker data, JSON). */
export function localActivityOf(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.['data']?.payloads?.[0]?.data;
  try {
    return data ? (JSON.parse(Buffer.from(data).toString()) as { activity_type?: string }).activity_type : undefined;
  } catch {
    return undefined;
  }
}

/** The TemporalChangeVersion values an upsert wrote (the SDK writes one beside each new patch marker), if the event is one. */
export function changeVersionsOf(event: temporal.api.history.v1.IHistoryEvent): string[] | undefined {
  const field =
    event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion;
  const data = field?.data;
  try {
    return data ? (JSON.parse(Buffer.from(data).toString()) as string[]) : undefined;
  } catch {
    return undefined;
  }
}

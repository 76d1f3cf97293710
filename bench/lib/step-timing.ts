import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** One step's timing in one history: the wait before it ran and the work (ms). */
export interface StepTiming {
  step: string;
  waitMs: number;
  workMs: number;
}

const at = (e: HistoryEvent) => Number(e.eventTime!.seconds) * 1000 + (e.eventTime!.nanos ?? 0) / 1e6;

/** The activity type a local activity's marker records (Temporal's `core_local_activity` marker), if it is one. */
export function localActivityType(e: HistoryEvent): string | undefined {
  const marker = e.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const data = marker.details?.data?.payloads?.[0]?.data;
  if (!data) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type;
}

/**
 * Every activity and workflow task of one history, with its wait (scheduled → started) and its
 * work (started → completed). A local activity has no events of its own: it runs inside a
 * workflow task and is recorded as a marker when that task completes, so its row (`local
 * activity <type>`) has no wait of its own and its work is the workflow task's start to the
 * marker (the workflow code around it is in that figure too, a fraction of a millisecond).
 */
export function stepTimings(events: readonly HistoryEvent[]): StepTiming[] {
  const rows: StepTiming[] = [];
  const byId = new Map(events.map((e) => [String(e.eventId), e]));
  let taskStarted: HistoryEvent | undefined;
  for (const e of events) {
    if (e.workflowTaskStartedEventAttributes) taskStarted = e;
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const scheduled = byId.get(String(done.scheduledEventId))!;
      const started = byId.get(String(done.startedEventId))!;
      rows.push({
        step: `activity ${scheduled.activityTaskScheduledEventAttributes!.activityType!.name}`,
        waitMs: at(started) - at(scheduled),
        workMs: at(e) - at(started),
      });
    }
    const local = localActivityType(e);
    if (local && taskStarted)
      rows.push({ step: `local activity ${local}`, waitMs: 0, workMs: at(e) - at(taskStarted) });
    const wft = e.workflowTaskCompletedEventAttributes;
    if (wft) {
      const scheduled = byId.get(String(wft.scheduledEventId))!;
      const started = byId.get(String(wft.startedEventId))!;
      rows.push({ step: 'workflow task', waitMs: at(started) - at(scheduled), workMs: at(e) - at(started) });
    }
  }
  if (events.length > 1)
    rows.push({ step: 'whole workflow (first to last event)', waitMs: 0, workMs: at(events.at(-1)!) - at(events[0]!) });
  return rows;
}

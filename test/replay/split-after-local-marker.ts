import { historyFromJSON, historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { localActivityOf } from '../../scripts/replay/events';

/** A history event as historyToJSON writes it: ids as strings, attributes by their proto names. */
type JsonEvent = Record<string, unknown> & { eventId: string; eventType: string };

/**
 * The same history with `activity`'s local activity marker ending its workflow task: a task
 * (scheduled, started, completed) is put right after the marker, and the commands that followed it
 * in its task belong to the new one: the marker in one task, what the workflow did with the
 * result in the next. Event ids after the marker move up by three, and so do the references to them.
 */
export function splitAfterLocalMarker(history: History, activity: string): History {
  const json = JSON.parse(historyToJSON(history)) as { events: JsonEvent[] };
  const events = json.events;
  const at = history.events!.findIndex((e) => localActivityOf(e) === activity);
  if (at < 0) throw new Error(`the history has no local activity marker for ${activity}`);
  const markerId = Number(events[at]!.eventId);
  const completedId = markerId + 3;
  const shifted = (id: string) => (Number(id) > markerId ? String(Number(id) + 3) : id);
  const renumber = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(renumber);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        /EventId$/.test(k) && typeof v === 'string' ? shifted(v) : renumber(v),
      ]),
    );
  };
  const taskOf = (e: JsonEvent) =>
    Object.values(e).find((v): v is { workflowTaskCompletedEventId?: string } =>
      Boolean(v && typeof v === 'object' && 'workflowTaskCompletedEventId' in v),
    );
  const markerTask = taskOf(events[at]!)?.workflowTaskCompletedEventId;
  const moved = events.map((e, i) => {
    const event = renumber(e) as JsonEvent;
    event.eventId = shifted(e.eventId);
    const task = taskOf(event);
    if (i > at && task && task.workflowTaskCompletedEventId === markerTask)
      task.workflowTaskCompletedEventId = String(completedId);
    return event;
  });
  const time = events[at]!.eventTime;
  const task = (id: number, type: string, attributes: string, body: object): JsonEvent => ({
    eventId: String(id),
    eventTime: time,
    eventType: `EVENT_TYPE_WORKFLOW_TASK_${type}`,
    [attributes]: body,
  });
  const queue = events.find((e) => e.workflowTaskScheduledEventAttributes)!.workflowTaskScheduledEventAttributes as {
    taskQueue: unknown;
    startToCloseTimeout: unknown;
  };
  moved.splice(
    at + 1,
    0,
    task(markerId + 1, 'SCHEDULED', 'workflowTaskScheduledEventAttributes', {
      taskQueue: queue.taskQueue,
      startToCloseTimeout: queue.startToCloseTimeout,
      attempt: 1,
    }),
    task(markerId + 2, 'STARTED', 'workflowTaskStartedEventAttributes', { scheduledEventId: String(markerId + 1) }),
    task(completedId, 'COMPLETED', 'workflowTaskCompletedEventAttributes', {
      scheduledEventId: String(markerId + 1),
      startedEventId: String(markerId + 2),
    }),
  );
  return historyFromJSON({ events: moved });
}

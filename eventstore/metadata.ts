import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { AppendMetadata } from './types';

/**
 * The workflow and activity that are writing, when the append runs inside a Temporal activity;
 * empty elsewhere. Lets every event say which saga step produced it without each caller passing it.
 */
export function temporalMetadata(): Pick<AppendMetadata, 'workflowId' | 'runId' | 'activityId'> {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return {};
  }
  const execution = info.workflowExecution;
  return {
    ...(execution ? { workflowId: execution.workflowId, runId: execution.runId } : {}),
    activityId: info.activityId,
  };
}

/**
 * A stable event id built from the parts that identify one intended effect, e.g.
 * `deterministicEventId('payment', orderId, 'debit')`. A retried activity computes the same id,
 * so its append is recognised as a repeat and writes nothing. Shaped as a UUID (version 8).
 */
export function deterministicEventId(...parts: Array<string | number>): string {
  if (parts.length === 0) throw new TypeError('deterministicEventId needs at least one part');
  const hex = createHash('sha256').update(JSON.stringify(parts.map(String))).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

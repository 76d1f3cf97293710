import { Context } from '@temporalio/activity';
import type { AppendMetadata } from '../eventstore/types';

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

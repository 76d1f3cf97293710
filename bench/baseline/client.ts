import type { noopSaga } from './workflows';

/** The baseline workflow, referenced as the saga is (workflows/client.ts): by a typed name, never a bare string. */
export type NoopSagaWorkflow = typeof noopSaga;
export const BASELINE_WORKFLOW_NAMES = { noopSaga: 'noopSaga' } as const;

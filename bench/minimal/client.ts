import type { minimalSaga } from './workflows';

/** The minimal saga, referenced as the saga is (workflows/client.ts): by a typed name, never a bare string. */
export type MinimalSagaWorkflow = typeof minimalSaga;
export const MINIMAL_WORKFLOW_NAMES = { minimalSaga: 'minimalSaga' } as const;

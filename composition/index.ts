/**
 * The composition roots, one per process kind: the API (api.ts), the worker (worker.ts), the
 * read side (readside.ts) and the scripts (scripts.ts), on what all of them build the same way
 * (shared.ts).
 */
export { commandParts, masterKeysFor, openDatabase, temporalClient, type CommandParts } from './shared';
export { apiParts, composeApi, type ApiParts } from './api';
export { workerActivities, workerConnection, workerParts } from './worker';
export { readSideParts } from './readside';
export { scriptParts } from './scripts';

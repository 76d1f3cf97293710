/**
 * The layers, as rules the CI checks (npm run check:architecture). Lower layers never import
 * higher ones; there are no cycles. Read top to bottom, each layer may use the ones below it:
 *
 *   scripts, workers, api            entry points and the HTTP side
 *   composition                      what every process builds the same way (database, connections)
 *   workflows                        the saga (deterministic sandbox code)
 *   activities, consumers, projections  the services and the read side (consumers composes the
 *                                    projector with the Email service; projections never import it)
 *   subscriptions                    the subscription engine: runner, log watcher, leases
 *   infra, config                    process wiring, logging, payload codec, settings
 *   domain                           the order contract and status table, and the deciders of orders, payments, shipments and accounts (inventory: its rules)
 *   eventstore                       the ground floor: the event log
 */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'A cycle makes two modules one; split what they share below both.', from: {}, to: { circular: true } },
    {
      name: 'eventstore-is-the-ground-floor',
      severity: 'error',
      comment: 'The event store knows nothing of Temporal, the domain or its users.',
      from: { path: '^eventstore/' },
      to: { path: '^(domain|infra|config|activities|consumers|projections|workflows|workers|api|scripts)/|@temporalio' },
    },
    {
      name: 'domain-depends-on-nothing-above',
      severity: 'error',
      comment: 'The contracts and the decider are pure: no services, no read side, no saga, no API.',
      from: { path: '^domain/' },
      to: { path: '^(infra|config|activities|consumers|projections|workflows|workers|api|scripts)/' },
    },
    {
      name: 'read-side-below-its-composition',
      severity: 'error',
      comment: 'Projections build on the subscription engine, not on the consumers that compose them.',
      from: { path: '^projections/' },
      to: { path: '^consumers/' },
    },
    {
      name: 'subscription-engine-below-its-users',
      severity: 'error',
      comment: 'The engine knows nothing of the projections, the consumers, the services or the API.',
      from: { path: '^subscriptions/' },
      to: { path: '^(projections|consumers|activities|workflows|workers|api|scripts|domain)/' },
    },
    {
      name: 'only-clients-import-the-saga',
      severity: 'error',
      comment: 'The saga sits above the services and the read side; its contract is domain/orders.',
      from: { path: '^(activities|projections|consumers|subscriptions|infra|config|domain|eventstore|servers)/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'api-through-front-doors',
      severity: 'error',
      comment: 'The API uses the read side through projections/read-side.ts, the services through activities/services.ts and the saga through workflows/client.ts.',
      from: { path: '^api/' },
      to: { path: '^(projections/(?!read-side\\.ts)|activities/(?!services\\.ts)|workflows/(?!client\\.ts)|subscriptions/)' },
    },
    {
      name: 'only-entry-points-compose',
      severity: 'error',
      comment: 'The composition root is used by the processes, not by the parts it composes.',
      from: { pathNot: '^(scripts|bench|test|workers/main\\.ts|api/main\\.ts|consumers/main\\.ts)' },
      to: { path: '^composition/' },
    },
    {
      name: 'nothing-imports-entry-points',
      severity: 'error',
      comment: 'Entry points compose; nothing builds on them.',
      from: { pathNot: '^(scripts|bench|test|workers)/' },
      to: { path: '^(scripts|workers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'test-results|bench/results' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};

/**
 * The layers, as rules the CI checks (npm run check:architecture). Lower layers never import
 * higher ones; there are no cycles. Read top to bottom, each layer may use the ones below it:
 *
 *   scripts, workers, api            entry points and the HTTP side
 *   console                          the operator console: a browser app on the API, sharing the pure domain
 *   composition                      one root per process kind (api, worker, readside, scripts) on
 *                                    shared.ts: each builds the database, event store, services once
 *   workflows                        the saga (deterministic sandbox code)
 *   activities, readside             the services, and the read side (projections, the email
 *                                    subscription and their engine) behind readside/index.ts
 *   infra, config                    process wiring, logging, payload codec, settings
 *   domain                           the order contract and status table, and the deciders of orders, payments, shipments and accounts (inventory: its rules)
 *   eventstore                       the ground floor: the event log
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one; split what they share below both.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'eventstore-is-the-ground-floor',
      severity: 'error',
      comment: 'The event store knows nothing of Temporal, the domain or its users.',
      from: { path: '^eventstore/' },
      to: { path: '^(domain|infra|config|activities|readside|composition|workflows|workers|api|scripts)/|@temporalio' },
    },
    {
      name: 'domain-depends-on-nothing-above',
      severity: 'error',
      comment:
        'The contracts and the decider are pure: no services, no read side, no saga, no API, no Temporal (search attributes live in infra, the Web UI story in workflows).',
      from: { path: '^domain/' },
      to: { path: '^(infra|config|activities|readside|composition|workflows|workers|api|scripts)/|@temporalio' },
    },
    {
      name: 'read-side-through-its-front-door',
      severity: 'error',
      comment:
        'The rest of the system uses the read side through readside/index.ts only; its engine and projections are its own.',
      from: { pathNot: '^(readside|test)/' },
      to: { path: '^readside/(?!index\\.ts$)' },
    },
    {
      name: 'read-side-points-down',
      severity: 'error',
      comment:
        'The read side builds on the domain, the event store, infra and config; its process entry (readside/main.ts) alone uses the composition root.',
      from: { path: '^readside/', pathNot: '^readside/main\\.ts$' },
      to: { path: '^(activities|workflows|workers|api|scripts|composition|servers|bench)/' },
    },
    {
      name: 'read-side-engine-below-its-users',
      severity: 'error',
      comment: 'The subscription engine knows nothing of the projections, the email subscription or the domain.',
      from: { path: '^readside/engine/' },
      to: { path: '^(readside/(?!engine/)|domain/)' },
    },
    {
      name: 'projections-below-their-process',
      severity: 'error',
      comment: 'Projections build on the engine, not on the process or the email subscription that run beside them.',
      from: { path: '^readside/projections/' },
      to: { path: '^readside/(email/|consumers\\.ts|main\\.ts|health\\.ts|index\\.ts)' },
    },
    {
      name: 'only-clients-import-the-saga',
      severity: 'error',
      comment: 'The saga sits above the services and the read side; its contract is domain/orders.',
      from: { path: '^(activities|readside|infra|config|domain|eventstore|servers)/' },
      to: { path: '^workflows/' },
    },
    {
      name: 'api-through-front-doors',
      severity: 'error',
      comment:
        'The API uses the read side through readside/index.ts, the services through activities/services.ts and the saga through workflows/client.ts.',
      from: { path: '^api/' },
      to: { path: '^(readside/(?!index\\.ts$)|activities/(?!services\\.ts)|workflows/(?!client\\.ts))' },
    },
    {
      name: 'only-entry-points-compose',
      severity: 'error',
      comment: 'The composition root is used by the processes, not by the parts it composes.',
      from: { pathNot: '^(composition|scripts|bench|test)/|^(workers|api|readside)/main\\.ts$' },
      to: { path: '^composition/' },
    },
    {
      name: 'composition-points-down',
      severity: 'error',
      comment:
        'The composition roots build the parts for the processes; the processes, the API and the tooling sit above them.',
      from: { path: '^composition/' },
      to: { path: '^(api|workers|scripts|bench|test)/' },
    },
    {
      name: 'nothing-imports-entry-points',
      severity: 'error',
      comment: 'Entry points compose; nothing builds on them.',
      from: { pathNot: '^(scripts|bench|test|workers)/' },
      to: { path: '^(scripts|workers)/' },
    },
    {
      name: 'console-runs-in-the-browser',
      severity: 'error',
      comment:
        'The operator console (console/src) is a browser app: it talks to the API over HTTP and shares only the pure domain (statuses, personal fields); no server code, no Node built-ins.',
      from: { path: '^console/src/' },
      to: {
        path: '^(api|activities|composition|readside|eventstore|infra|config|workflows|workers|scripts|servers|bench|test)/',
      },
    },
    {
      name: 'console-has-no-node-built-ins',
      severity: 'error',
      comment: 'The console runs in a browser, where Node built-ins do not exist.',
      from: { path: '^console/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'only-tooling-builds-the-console',
      severity: 'error',
      comment:
        'The console is built by its own script and served as files; tooling and tests may build it, nothing else imports it.',
      from: { pathNot: '^(console|scripts|test)/' },
      to: { path: '^console/' },
    },
    {
      name: 'the-client-stands-alone',
      severity: 'error',
      comment:
        'The typed HTTP client (api/client/) is what callers of the API import: it knows nothing of the server; its types are generated (npm run client:generate).',
      from: { path: '^api/client/' },
      to: {
        path: '^(?!api/client/)(api|activities|composition|readside|domain|eventstore|infra|config|workflows|workers|scripts|servers)/',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'test-results|bench/results' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};

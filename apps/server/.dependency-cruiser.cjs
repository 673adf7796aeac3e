// The server's floors, checked in `pnpm lint` (depcruise src): an import may only point down.
//
//   main.ts, cli.ts, bootstrap.ts    processes: wire everything together
//   http/app.ts                      the Fastify server: mounts the API, health, metrics
//   api/                             one operation per file; derives REST, tRPC and OpenAPI
//   http/ (but app.ts)               what the API needs of HTTP: authentication, errors, CSRF
//   delivery/                        the worker loop (claims, sends, records), its settings
//   mail/                            the alert e-mail outbox's sender (beside the worker)
//   metrics.ts                       Prometheus metrics (the worker only takes their type)
//   services/                        the domain: one function per action
//   queue/                           the dispatch queue: its SQL, one statement per file
//   history/                         the time-partitioned history: partitions, retention
//   outbound/                        renders, signs, guards, sends and stores a request
//   db/, generated/, config.ts,      the database clients, settings and the error an operator
//   operator-error.ts                can fix
/** @type {import('dependency-cruiser').IConfiguration} */
const floors = {
  outbound: '^src/outbound/',
  history: '^src/history/',
  queue: '^src/queue/',
  services: '^src/services/',
  delivery: '^src/delivery/',
  api: '^src/api/',
  httpSupport: '^src/http/(?!app[.]ts$)',
  processes: '^src/(main|cli|bootstrap)[.]ts$',
};

/** A rule: nothing in `from` may import anything in `to`. */
const noImport = (name, comment, from, to) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules import each other in a circle: one of them belongs on a lower floor.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    noImport(
      'outbound-is-the-bottom',
      'Building and sending a request needs no database, queue, domain or server.',
      floors.outbound,
      '^src/(?!outbound/|(config|operator-error)[.]ts$)',
    ),
    noImport(
      'db-below-everything',
      'The database clients know nothing of what is stored.',
      '^src/db/',
      '^src/(?!db/|generated/|(config|operator-error)[.]ts$)',
    ),
    noImport(
      'history-on-the-database',
      'History partitions and retention need only the database and the settings.',
      floors.history,
      '^src/(?!history/|db/|generated/|(config|operator-error)[.]ts$)',
    ),
    noImport(
      'queue-on-outbound-and-db',
      'The queue owns its SQL; it takes only the database and how stored calls are shaped.',
      floors.queue,
      '^src/(?!queue/|db/|generated/|outbound/|(config|operator-error)[.]ts$)',
    ),
    noImport(
      'services-below-transports-and-worker',
      'The domain knows no transport, no operation table and no worker loop.',
      floors.services,
      '^src/(api|http|delivery)/|^src/(main|cli|bootstrap|metrics)[.]ts$',
    ),
    noImport(
      'worker-on-queue-and-outbound',
      'The worker loop sits on the queue and the outbound request; it calls no service and no API.',
      floors.delivery,
      '^src/(api|http|services)/|^src/(main|cli|bootstrap)[.]ts$',
    ),
    noImport(
      'telemetry-at-the-bottom',
      'Tracing and its SDK take the settings only: every floor may make spans.',
      '^src/telemetry/',
      '^src/(?!telemetry/|config[.]ts$)',
    ),
    noImport(
      'mail-on-its-outbox',
      "The mailer sends the outbox: it needs the database, the settings and the queue's channel names.",
      '^src/mail/',
      '^src/(?!mail/|db/|generated/|queue/constants[.]ts$|(config|operator-error)[.]ts$)',
    ),
    noImport(
      'api-below-the-server',
      'Operations call services; the server (http/app.ts) and the worker are not theirs to reach.',
      floors.api,
      '^src/(delivery/|http/app[.]ts$)|^src/(main|cli|bootstrap)[.]ts$',
    ),
    noImport(
      'http-support-below-the-api',
      'Authentication, errors and cookies serve the API; only http/app.ts mounts it.',
      floors.httpSupport,
      '^src/(api|delivery)/|^src/(main|cli|bootstrap)[.]ts$',
    ),
    noImport(
      'nothing-imports-a-process',
      'main.ts, cli.ts and bootstrap.ts start processes: nothing below may import them.',
      '^src/(?!(main|cli|bootstrap)[.]ts$)',
      floors.processes,
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/generated/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

import fc from 'fast-check';

/**
 * Generated CronJobs: realistic shapes with the holes and oddities that real
 * manifests have (missing fields, explicit API defaults, odd keys), for the
 * property tests of the engine.
 */
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}[a-z0-9]$/);
const schedule = fc.constantFrom(
  '*/5 * * * *',
  '0 3 * * *',
  '@hourly',
  '@daily',
  '0 0 30 2 *',
  '30 2 * * mon-fri',
  'bad',
  '* * * * *',
  '@every 30s',
);
const image = fc.constantFrom(
  'nginx',
  'nginx:latest',
  'registry.example.com/app:1.2.3',
  'ghcr.io/org/tool@sha256:' + 'a'.repeat(64),
  'busybox:1.36',
);
const quantity = fc.constantFrom('100m', '1', '250m', '64Mi', '1Gi', '512Mi');

const securityContext = fc.option(
  fc.record(
    {
      runAsNonRoot: fc.boolean(),
      runAsUser: fc.constantFrom(0, 1000, 65534),
      allowPrivilegeEscalation: fc.boolean(),
      privileged: fc.boolean(),
      readOnlyRootFilesystem: fc.boolean(),
      capabilities: fc.record(
        {
          drop: fc.constantFrom(['ALL'], ['NET_RAW'], []),
          add: fc.constantFrom([], ['NET_BIND_SERVICE'], ['SYS_ADMIN']),
        },
        { requiredKeys: [] },
      ),
      seccompProfile: fc.constantFrom(
        { type: 'RuntimeDefault' },
        { type: 'Unconfined' },
        { type: 'Localhost', localhostProfile: 'p.json' },
      ),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const container = fc
  .record(
    {
      name,
      image,
      imagePullPolicy: fc.constantFrom('Always', 'IfNotPresent'),
      securityContext,
      resources: fc.record(
        {
          requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
          limits: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
      ),
      livenessProbe: fc.constant({ exec: { command: ['true'] } }),
    },
    { requiredKeys: ['name', 'image'] },
  )
  .map(dropUndefined);

export const cronJobArbitrary = fc
  .record(
    {
      name,
      namespace: fc.constantFrom('default', 'payments', 'kube-system', 'team-a'),
      labels: fc.dictionary(
        fc.constantFrom('app', 'team', 'tier'),
        fc.constantFrom('a', 'b', 'batch'),
      ),
      annotations: fc.dictionary(
        fc.constantFrom('note', 'ignore-check.cronguard.dev/images-disallow-latest', 'a/b~c'),
        fc.constantFrom('x', 'vendor; PLAT-1', ''),
      ),
      schedule,
      timeZone: fc.option(fc.constantFrom('UTC', 'Europe/Oslo', 'Local', 'Mars/Olympus'), {
        nil: undefined,
      }),
      concurrencyPolicy: fc.option(fc.constantFrom('Allow', 'Forbid', 'Replace'), {
        nil: undefined,
      }),
      startingDeadlineSeconds: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      activeDeadlineSeconds: fc.option(fc.integer({ min: 1, max: 200000 }), { nil: undefined }),
      backoffLimit: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      restartPolicy: fc.option(fc.constantFrom('OnFailure', 'Never', 'Always'), { nil: undefined }),
      podSecurityContext: securityContext,
      containers: fc.array(container, { minLength: 1, maxLength: 3 }),
      initContainers: fc.option(fc.array(container, { minLength: 1, maxLength: 2 }), {
        nil: undefined,
      }),
      hostNetwork: fc.option(fc.boolean(), { nil: undefined }),
    },
    { requiredKeys: ['name', 'schedule', 'containers', 'namespace'] },
  )
  .map((g) =>
    dropUndefined({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: dropUndefined({
        name: g.name,
        namespace: g.namespace,
        labels: g.labels,
        annotations: g.annotations,
      }),
      spec: dropUndefined({
        schedule: g.schedule,
        timeZone: g.timeZone,
        concurrencyPolicy: g.concurrencyPolicy,
        startingDeadlineSeconds: g.startingDeadlineSeconds,
        jobTemplate: {
          spec: dropUndefined({
            activeDeadlineSeconds: g.activeDeadlineSeconds,
            backoffLimit: g.backoffLimit,
            template: {
              spec: dropUndefined({
                restartPolicy: g.restartPolicy,
                securityContext: g.podSecurityContext,
                hostNetwork: g.hostNetwork,
                containers: uniqueNames(g.containers),
                initContainers:
                  g.initContainers === undefined
                    ? undefined
                    : uniqueNames(g.initContainers, 'init-'),
              }),
            },
          }),
        },
      }),
    }),
  );

function uniqueNames(
  containers: Record<string, unknown>[],
  prefix = '',
): Record<string, unknown>[] {
  return containers.map((c, index) => ({ ...c, name: `${prefix}${String(c.name)}-${index}` }));
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

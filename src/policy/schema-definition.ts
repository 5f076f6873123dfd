import type { SchemaObject } from 'ajv';
import { WORKLOAD_KINDS } from '../k8s/types.js';
import { POLICY_API_VERSION, POLICY_KIND } from './types.js';

/**
 * JSON Schema (draft-07) of the YAML form of a `CronJobPolicy`.
 *
 * It checks shape only: types, enums, required fields, unknown fields, and the
 * size limits that keep hostile input cheap. Checks that need more than one
 * field or outside knowledge (rule ids, time zones, quantities, durations,
 * default vs. min/max) run after it, in `load.ts`, where the messages can be
 * specific. Every object has `additionalProperties: false` except the maps
 * whose keys are data (labels, annotations, `ruleActions`), so a typo in a
 * field name is an error instead of a setting that silently does nothing.
 *
 * The schema is plain JSON Schema so editors (yaml-language-server) can use it
 * as it is; `load.ts` derives its plain-words messages from the schema itself
 * (`describe*` helpers in `schema.ts`), so message and rule cannot drift apart.
 *
 * This module is data only (no ajv at run time): the validator is compiled from
 * it at build time by `scripts/generate-policy-validator.mjs` into
 * `generated/policy-validator.js`. After changing the schema, run
 * `npm run build` to regenerate it; the validator integrity test fails until then.
 */

/** Caps against hostile input. A real policy is nowhere near any of them. */
export const POLICY_LIMITS = Object.freeze({
  maxPolicies: 1000,
  maxListEntries: 1000,
  maxGlobLength: 253,
  maxGlobStars: 16,
  maxDepth: 32,
  maxStringLength: 1024,
  /** One policy text (file), in characters; the file reader's 4 MiB byte cap is never looser. */
  maxSourceCharacters: 4 * 1024 * 1024,
  /** All policy texts loaded together: bounds parse time whatever the number of files. */
  maxTotalCharacters: 16 * 1024 * 1024,
});

/** Apply modes that carry a value in a field setting: `concurrencyPolicy: {default: Forbid}`. */
export const APPLY_MODES = ['default', 'enforce', 'validate'] as const;
export const ACTIONS = ['enforce', 'warn', 'audit'] as const;
export const RULE_ACTIONS = [...ACTIONS, 'off'] as const;
export const OPERATIONS = ['CREATE', 'UPDATE'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const RESOURCE_NAMES = ['cpu', 'memory', 'ephemeral-storage'] as const;
export const REQUIRED_RESOURCE_FIELDS = [
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
] as const;
export const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;

const DNS1123_SUBDOMAIN_PATTERN =
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
// Linear-time on any input: `[^*]*` and `\*` never compete for a character.
const GLOB_PATTERN = `^[^*]*(\\*[^*]*){0,${POLICY_LIMITS.maxGlobStars}}$`;
const CLOCK_TIME_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';
const NOT_BLANK_PATTERN = '\\S';
// Unambiguous (every component starts with a digit or '.'), so linear-time; `duration.ts` has the exact rules.
const DURATION_PATTERN = '^(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ms|h|m|s))+$';
const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** Plain words for each pattern the schema uses; error messages say these instead of the regex. */
export const PATTERN_DESCRIPTIONS: Readonly<Record<string, string>> = {
  [DNS1123_SUBDOMAIN_PATTERN]:
    "a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)",
  [GLOB_PATTERN]: `a glob (* and ?) of at most ${POLICY_LIMITS.maxGlobLength} characters and at most ${POLICY_LIMITS.maxGlobStars} '*'`,
  [CLOCK_TIME_PATTERN]: 'a time of day "HH:MM" between 00:00 and 24:00',
  [NOT_BLANK_PATTERN]: 'a non-empty string',
  [DURATION_PATTERN]: 'a duration such as 90s, 5m or 1h30m (units h, m, s, ms)',
  [LABEL_VALUE_PATTERN]:
    "a label value (letters, digits, '-', '_' and '.', starting and ending with a letter or digit)",
};

/**
 * Values an enum rejects on purpose, with the reason, so the message teaches
 * instead of just listing what is allowed. Keyed by the enum's values.
 */
export const REJECTED_VALUE_HINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'OnFailure,Never': {
    Always: 'Always is not valid for Jobs: their pods must be allowed to finish',
  },
};

function text(
  description: string,
  maxLength: number = POLICY_LIMITS.maxStringLength,
): SchemaObject {
  return { type: 'string', minLength: 1, maxLength, description };
}

function nonNegativeInteger(description: string, minimum = 0): SchemaObject {
  return { type: 'integer', minimum, maximum: 2147483647, description };
}

function list(items: SchemaObject, description: string): SchemaObject {
  return {
    type: 'array',
    minItems: 1,
    maxItems: POLICY_LIMITS.maxListEntries,
    items,
    description,
  };
}

function enumOf(values: readonly string[], description: string): SchemaObject {
  return { type: 'string', enum: [...values], description };
}

function glob(description: string): SchemaObject {
  return {
    type: 'string',
    minLength: 1,
    maxLength: POLICY_LIMITS.maxGlobLength,
    pattern: GLOB_PATTERN,
    description,
  };
}

function globList(description: string): SchemaObject {
  return list(glob('A glob: `*` matches any run of characters, `?` one character.'), description);
}

function stringMap(description: string): SchemaObject {
  return {
    type: 'object',
    maxProperties: POLICY_LIMITS.maxListEntries,
    propertyNames: { maxLength: 317 },
    additionalProperties: { type: 'string', maxLength: POLICY_LIMITS.maxStringLength },
    description,
  };
}

function object(
  properties: Record<string, SchemaObject>,
  description: string,
  extra: SchemaObject = {},
): SchemaObject {
  return { type: 'object', additionalProperties: false, properties, description, ...extra };
}

/**
 * "At most one of these keys": JSON Schema has no keyword for it, so it is the
 * negation of "any two of them". `load.ts` recognises this shape and says
 * "set at most one of …" instead of ajv's "must NOT be valid".
 */
export function atMostOneOf(keys: readonly string[]): SchemaObject {
  const pairs: SchemaObject[] = [];
  keys.forEach((first, index) => {
    for (const second of keys.slice(index + 1)) pairs.push(requiredKeys([first, second]));
  });
  return { anyOf: pairs };
}

/**
 * `{required: keys}` for a subschema of `not`/`oneOf`. The keys are also listed
 * under `properties` (as `true`, which checks nothing) because ajv's strict mode
 * wants every required key declared next to `required`.
 */
function requiredKeys(keys: readonly string[]): SchemaObject {
  return {
    // Without the type, a number would satisfy `required` and so every branch.
    type: 'object',
    required: [...keys],
    properties: Object.fromEntries(keys.map((key) => [key, true])),
  };
}

/** The keys an `atMostOneOf` schema constrains, or undefined when `notSchema` is not one. */
export function keysOfAtMostOneOf(notSchema: unknown): string[] | undefined {
  if (typeof notSchema !== 'object' || notSchema === null) return undefined;
  const branches = (notSchema as { anyOf?: unknown }).anyOf;
  if (!Array.isArray(branches) || branches.length === 0) return undefined;
  const keys: string[] = [];
  for (const branch of branches) {
    const required = (branch as { required?: unknown }).required;
    if (!Array.isArray(required) || required.length !== 2) return undefined;
    for (const key of required) if (typeof key === 'string' && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

const labelSelector = (description: string): SchemaObject =>
  object(
    {
      matchLabels: stringMap('Labels that must all be present with these values.'),
      matchExpressions: list(
        object(
          {
            key: text('Label key.', 317),
            operator: enumOf(['In', 'NotIn', 'Exists', 'DoesNotExist'], 'How to compare.'),
            values: {
              type: 'array',
              maxItems: POLICY_LIMITS.maxListEntries,
              items: { type: 'string', maxLength: 63 },
              description: 'Values for In and NotIn; must be absent for Exists and DoesNotExist.',
            },
          },
          'One label requirement, as in a Kubernetes LabelSelector.',
          { required: ['key', 'operator'] },
        ),
        'Label requirements that must all hold.',
      ),
    },
    description,
  );

function matchBlock(description: string, withKinds: boolean): SchemaObject {
  const properties: Record<string, SchemaObject> = {
    namespaces: globList('Namespaces (globs) the block covers.'),
    namespaceSelector: labelSelector("Labels of the object's namespace."),
    selector: labelSelector("Labels of the object's own metadata."),
    names: globList('Object names (globs) the block covers.'),
    operations: list(enumOf(OPERATIONS, 'Admission operation.'), 'Admission operations.'),
  };
  if (withKinds) {
    return object(
      {
        kinds: list(enumOf(WORKLOAD_KINDS, 'Workload kind.'), 'Kinds the policy applies to.'),
        ...properties,
      },
      description,
    );
  }
  return object(properties, description);
}

interface FieldSettingOptions {
  /** Schema of the value that `default`/`enforce`/`validate`/`allowed` carry. */
  value: SchemaObject;
  /** Numeric fields also take `min` and `max`. */
  numeric: boolean;
  description: string;
}

function fieldSetting({ value, numeric, description }: FieldSettingOptions): SchemaObject {
  const properties: Record<string, SchemaObject> = {
    default: { ...value, description: 'Fill this value in when the field is missing.' },
    enforce: { ...value, description: 'Set this value, replacing what the author wrote.' },
    validate: { ...value, description: 'Report a finding when the field differs from this value.' },
    allowed: list(value, 'Values the field may have.'),
  };
  if (numeric) {
    properties.min = nonNegativeInteger('Smallest value allowed.');
    properties.max = nonNegativeInteger('Largest value allowed.');
  }
  properties.required = { type: 'boolean', description: 'The field must be set after mutation.' };
  return object(properties, description, {
    minProperties: 1,
    not: atMostOneOf(APPLY_MODES),
  });
}

function numericSetting(description: string, minimumValue = 0): SchemaObject {
  return fieldSetting({
    value: nonNegativeInteger('A whole number of seconds or a count.', minimumValue),
    numeric: true,
    description,
  });
}

const quantity: SchemaObject = {
  type: ['string', 'number'],
  maxLength: 64,
  description: 'A Kubernetes quantity: 100m, 0.5, 2, 128Mi, 1Gi.',
};

const resourceList = (description: string): SchemaObject =>
  object(Object.fromEntries(RESOURCE_NAMES.map((name) => [name, quantity])), description);

const requestsAndLimits = (description: string): SchemaObject =>
  object(
    {
      requests: resourceList('Container resource requests.'),
      limits: resourceList('Container resource limits.'),
    },
    description,
  );

const port: SchemaObject = {
  type: ['integer', 'string'],
  minimum: 1,
  maximum: 65535,
  minLength: 1,
  maxLength: 15,
  description: 'A port number (1-65535) or a named container port.',
};

function probeTemplate(description: string): SchemaObject {
  const seconds = (what: string): SchemaObject => nonNegativeInteger(what);
  return object(
    {
      exec: object(
        { command: list(text('Argument.'), 'Command and arguments, run without a shell.') },
        'Run a command in the container.',
        { required: ['command'] },
      ),
      httpGet: object(
        {
          path: text('URL path.'),
          port,
          host: text('Host name; defaults to the pod IP.', 253),
          scheme: enumOf(['HTTP', 'HTTPS'], 'URL scheme.'),
          httpHeaders: list(
            object(
              {
                name: text('Header name.', 256),
                value: { type: 'string', maxLength: 4096, description: 'Header value.' },
              },
              'One HTTP header.',
              { required: ['name', 'value'] },
            ),
            'Extra request headers.',
          ),
        },
        'Send an HTTP GET request.',
        { required: ['port'] },
      ),
      tcpSocket: object(
        { port, host: text('Host name; defaults to the pod IP.', 253) },
        'Open a TCP connection.',
        { required: ['port'] },
      ),
      grpc: object(
        {
          port: nonNegativeInteger('Port number.', 1),
          service: { type: 'string', maxLength: 253, description: 'gRPC health service name.' },
        },
        'Call the gRPC health checking protocol.',
        { required: ['port'] },
      ),
      initialDelaySeconds: seconds('Seconds after start before the first probe.'),
      periodSeconds: nonNegativeInteger('Seconds between probes.', 1),
      timeoutSeconds: nonNegativeInteger('Seconds before a probe times out.', 1),
      successThreshold: nonNegativeInteger('Consecutive successes to count as healthy.', 1),
      failureThreshold: nonNegativeInteger('Consecutive failures to count as failed.', 1),
      terminationGracePeriodSeconds: nonNegativeInteger('Grace period after a failed probe.', 1),
    },
    description,
    {
      // Exactly one handler, as the Kubernetes API requires.
      oneOf: PROBE_HANDLERS.map((handler) => requiredKeys([handler])),
    },
  );
}

export const MESH_PROVIDERS = ['istio', 'linkerd', 'auto'] as const;
export const NATIVE_SIDECAR_MODES = ['auto', 'always', 'never'] as const;

function duration(description: string): SchemaObject {
  return { type: 'string', maxLength: 64, pattern: DURATION_PATTERN, description };
}

/** YAML reads `5432` as a number and `"5432,6379"` as text; annotation values are text either way. */
function annotationText(description: string): SchemaObject {
  return {
    type: ['string', 'integer'],
    minimum: 0,
    maxLength: POLICY_LIMITS.maxStringLength,
    description,
  };
}

function count(description: string, minimum = 0): SchemaObject {
  return nonNegativeInteger(description, minimum);
}

function percentage(description: string): SchemaObject {
  return { type: 'integer', minimum: 0, maximum: 100, description };
}

function trafficDestination(): SchemaObject {
  return object(
    {
      host: text(
        'Service host: name, name.namespace, name.namespace.svc.cluster.local, or an external host.',
        253,
      ),
      timeout: duration('Timeout of the whole call, retries included: 30s.'),
      retries: object(
        {
          attempts: count('Number of retries (at most 1 + attempts tries); 0 disables retries.'),
          perTryTimeout: duration('Timeout of one try: 10s.'),
          retryOn: list(
            text('An Envoy retry-on token or an HTTP status code.', 64),
            'When to retry.',
          ),
        },
        'Retries of calls to this host.',
        { required: ['attempts'] },
      ),
      idempotent: {
        type: 'boolean',
        description:
          'Calls are safe to repeat, so 5xx and gateway errors may be retried. Default false.',
      },
      connectionPool: object(
        {
          tcp: object(
            {
              maxConnections: count('Largest number of connections.', 1),
              connectTimeout: duration('TCP connect timeout.'),
              idleTimeout: duration('Idle timeout of a connection.'),
            },
            'TCP settings.',
            { minProperties: 1 },
          ),
          http: object(
            {
              http1MaxPendingRequests: count('Largest number of queued requests.', 1),
              http2MaxRequests: count('Largest number of active requests.', 1),
              maxRequestsPerConnection: count('Requests per connection; 0 means unlimited.'),
              maxRetries: count('Largest number of outstanding retries.', 1),
              idleTimeout: duration('Idle timeout of a connection.'),
            },
            'HTTP settings.',
            { minProperties: 1 },
          ),
        },
        'DestinationRule connectionPool.',
        { minProperties: 1 },
      ),
      outlierDetection: object(
        {
          consecutive5xxErrors: count('5xx errors before a host is ejected; 0 disables.'),
          consecutiveGatewayErrors: count(
            'Gateway errors (502, 503, 504) before a host is ejected.',
          ),
          interval: duration('Time between ejection sweeps.'),
          baseEjectionTime: duration('Minimum ejection time.'),
          maxEjectionPercent: percentage('Largest share of hosts ejected.'),
          minHealthPercent: percentage('Ejection stops below this share of healthy hosts.'),
        },
        'DestinationRule outlierDetection.',
        { minProperties: 1 },
      ),
    },
    'Calls the job makes to one destination service.',
    { required: ['host'] },
  );
}

function meshSection(): SchemaObject {
  return object(
    {
      provider: enumOf(
        MESH_PROVIDERS,
        'The mesh: istio, linkerd, or auto (decided per object from namespace labels and the pod template).',
      ),
      inject: {
        type: 'boolean',
        description:
          "Put the job's pods in the mesh (true) or keep them out (false); absent: the author decides.",
      },
      apply: enumOf(APPLY_MODES, 'How the mesh settings apply. Default default.'),
      jobCompletion: object(
        {
          nativeSidecar: enumOf(
            NATIVE_SIDECAR_MODES,
            'Native sidecars: auto (when the cluster supports them), always, never. Default auto.',
          ),
          wrapCommand: {
            type: 'boolean',
            description:
              "When native sidecars cannot be used, wrap the job's command so it stops the proxy when it ends. Default false.",
          },
          containers: globList('Containers (globs) whose command may be wrapped; absent: all.'),
        },
        'How meshed pods are made to finish.',
      ),
      istio: object(
        {
          version: text('Istio version in the cluster, quoted: "1.27".', 64),
          revision: {
            type: 'string',
            minLength: 1,
            maxLength: 63,
            pattern: LABEL_VALUE_PATTERN,
            description: 'Control-plane revision or tag, written as the label istio.io/rev.',
          },
          proxy: object(
            {
              cpu: quantity,
              memory: quantity,
              cpuLimit: quantity,
              memoryLimit: quantity,
            },
            'Resources of the istio-proxy container.',
          ),
          traffic: object(
            {
              includeInboundPorts: annotationText('Inbound ports captured: "*" or a port list.'),
              excludeInboundPorts: annotationText('Inbound ports not captured.'),
              includeOutboundPorts: annotationText('Outbound ports always captured.'),
              excludeOutboundPorts: annotationText('Outbound ports that bypass the proxy.'),
              includeOutboundIPRanges: annotationText('Outbound CIDRs captured: "*" or a list.'),
              excludeOutboundIPRanges: annotationText('Outbound CIDRs that bypass the proxy.'),
            },
            'Traffic capture annotations.',
          ),
          proxyConfig: {
            type: 'object',
            maxProperties: POLICY_LIMITS.maxListEntries,
            description:
              'ProxyConfig fields merged into proxy.istio.io/config (the fields the author wrote win, unless apply is enforce).',
          },
        },
        'Istio settings.',
      ),
      linkerd: object(
        {
          version: text('Linkerd version in the cluster, quoted: "2.19" or "edge-25.10.2".', 64),
          shutdownGracePeriod: duration('config.linkerd.io/shutdown-grace-period: 30s.'),
        },
        'Linkerd settings.',
      ),
      traffic: list(
        trafficDestination(),
        'Destinations the jobs call (generated VirtualService and DestinationRule).',
      ),
    },
    "Service-mesh settings for the jobs' pods.",
    { required: ['provider'] },
  );
}

export const POLICY_SCHEMA: SchemaObject = deepFreeze({
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://cronguard.dev/schemas/v1alpha1/cronjobpolicy.json',
  title: 'CronJobPolicy',
  description:
    'A cronguard policy: what a matching CronJob (or Job, or Pod) must look like, and what cronguard fills in.',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { type: 'string', const: POLICY_API_VERSION, description: 'Policy API version.' },
    kind: { type: 'string', const: POLICY_KIND, description: 'Always CronJobPolicy.' },
    metadata: object(
      {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 253,
          pattern: DNS1123_SUBDOMAIN_PATTERN,
          description: 'Policy name, unique across every policy loaded together.',
        },
        labels: stringMap('Free-form labels.'),
        annotations: stringMap(
          'Free-form annotations. `cronguard.dev/version` sets the policy version reported with findings; without it the version is a hash of the spec.',
        ),
      },
      'Policy metadata.',
      { required: ['name'] },
    ),
    spec: object(
      {
        priority: {
          type: 'integer',
          minimum: -1000000,
          maximum: 1000000,
          description:
            'Higher wins where two policies set the same field; ties go to the name that sorts first. Default 0.',
        },
        action: enumOf(
          ACTIONS,
          'What a violation does: enforce denies admission, warn returns admission warnings, audit only reports.',
        ),
        match: matchBlock(
          'Which objects the policy applies to. Default: CronJobs on CREATE and UPDATE.',
          true,
        ),
        exclude: matchBlock('Objects the policy never applies to, even when matched.', false),
        ruleActions: {
          type: 'object',
          maxProperties: POLICY_LIMITS.maxListEntries,
          propertyNames: { maxLength: 253 },
          additionalProperties: enumOf(RULE_ACTIONS, 'Action for this rule; off disables it.'),
          description: 'Per-rule action, overriding spec.action; `off` disables the rule.',
        },
        exemptions: {
          type: 'array',
          maxItems: POLICY_LIMITS.maxListEntries,
          description: 'Objects (or containers) that rules do not apply to, each with a reason.',
          items: object(
            {
              rules: list(text('A rule id, or * for every rule.', 253), 'Rules exempted.'),
              namespaces: globList('Namespaces (globs) the exemption covers.'),
              names: globList('Object names (globs) the exemption covers.'),
              containers: globList('Containers (globs) the exemption covers; absent: all.'),
              reason: {
                type: 'string',
                maxLength: POLICY_LIMITS.maxStringLength,
                pattern: NOT_BLANK_PATTERN,
                description: 'Why; recorded with every exempted finding.',
              },
            },
            'One exemption.',
            { required: ['rules', 'reason'] },
          ),
        },
        nonExemptible: {
          type: 'array',
          maxItems: POLICY_LIMITS.maxListEntries,
          items: text('A rule id.', 253),
          description: 'Rules that annotations on a workload cannot exempt.',
        },
        schedule: object(
          {
            minInterval: {
              type: 'string',
              maxLength: 64,
              pattern: DURATION_PATTERN,
              description: 'Minimum time between two runs: 90s, 5m, 1h30m.',
            },
            timeZone: object(
              {
                required: {
                  type: 'boolean',
                  description: 'Every CronJob must set spec.timeZone.',
                },
                allowed: globList('IANA time zones (globs such as Europe/*) a CronJob may use.'),
                default: text('IANA time zone to fill in when none is set.', 64),
              },
              'Time zone rules.',
            ),
            windows: list(
              object(
                {
                  days: list(enumOf(WEEKDAYS, 'A day of the week.'), 'Days; absent: every day.'),
                  start: {
                    type: 'string',
                    pattern: CLOCK_TIME_PATTERN,
                    description: 'Opens at HH:MM (inclusive).',
                  },
                  end: {
                    type: 'string',
                    pattern: CLOCK_TIME_PATTERN,
                    description:
                      'Closes at HH:MM (exclusive); earlier than start to cross midnight.',
                  },
                },
                'A time window in which runs may start.',
                { required: ['start', 'end'] },
              ),
              "Every run must start inside one of these windows, in the CronJob's time zone.",
            ),
          },
          'Schedule rules.',
        ),
        job: object(
          {
            concurrencyPolicy: fieldSetting({
              value: enumOf(['Allow', 'Forbid', 'Replace'], 'A concurrency policy.'),
              numeric: false,
              description: 'CronJob spec.concurrencyPolicy.',
            }),
            startingDeadlineSeconds: numericSetting('CronJob spec.startingDeadlineSeconds.'),
            activeDeadlineSeconds: numericSetting('Job spec.activeDeadlineSeconds.', 1),
            backoffLimit: numericSetting('Job spec.backoffLimit.'),
            ttlSecondsAfterFinished: numericSetting('Job spec.ttlSecondsAfterFinished.'),
            successfulJobsHistoryLimit: numericSetting('CronJob spec.successfulJobsHistoryLimit.'),
            failedJobsHistoryLimit: numericSetting('CronJob spec.failedJobsHistoryLimit.'),
            restartPolicy: fieldSetting({
              value: enumOf(['OnFailure', 'Never'], 'A restart policy valid for Jobs.'),
              numeric: false,
              description: 'Pod spec.restartPolicy; Always is not valid for Jobs.',
            }),
          },
          'Job and CronJob fields.',
        ),
        securityContext: object(
          {
            profile: enumOf(['restricted'], 'Pod Security profile to fill in and check.'),
            apply: enumOf(APPLY_MODES, 'How the profile applies. Default default.'),
            readOnlyRootFilesystem: {
              type: 'boolean',
              description: 'Containers get a read-only root.',
            },
            runAsUser: nonNegativeInteger('User id to run as when none is set.'),
            runAsGroup: nonNegativeInteger('Group id to run as when none is set.'),
            fsGroup: nonNegativeInteger('Group that owns mounted volumes.'),
            validateProfile: {
              type: 'boolean',
              description: 'Check the whole profile after mutation. Default true.',
            },
          },
          'Security context rules.',
          { required: ['profile'] },
        ),
        resources: object(
          {
            apply: enumOf(APPLY_MODES, 'How defaults apply. Default default.'),
            defaults: requestsAndLimits('Requests and limits to fill in.'),
            max: requestsAndLimits('Largest requests and limits allowed.'),
            maxLimitRequestRatio: object(
              Object.fromEntries(
                RESOURCE_NAMES.map((name) => [
                  name,
                  {
                    type: 'number',
                    minimum: 1,
                    maximum: 1000000,
                    description: 'Largest limit / request.',
                  },
                ]),
              ),
              'Largest limit / request ratio per resource.',
            ),
            required: list(
              enumOf(REQUIRED_RESOURCE_FIELDS, 'A resource field.'),
              'Fields every container must set after defaults.',
            ),
          },
          'Container resource rules.',
        ),
        probes: object(
          {
            warnLivenessReadiness: {
              type: 'boolean',
              description: 'Report liveness and readiness probes on job containers. Default true.',
            },
            startupProbe: probeTemplate('Startup probe to fill in.'),
            livenessProbe: probeTemplate('Liveness probe to fill in.'),
            readinessProbe: probeTemplate('Readiness probe to fill in.'),
            containers: globList('Containers (globs) the probes go into; absent: all.'),
          },
          'Probe rules.',
        ),
        images: object(
          {
            disallowLatest: {
              type: 'boolean',
              description: 'Report images tagged latest or untagged.',
            },
            allowedRegistries: globList('Registry host and path prefixes (globs) allowed.'),
            pullPolicy: fieldSetting({
              value: enumOf(['Always', 'IfNotPresent', 'Never'], 'An image pull policy.'),
              numeric: false,
              description: 'Container imagePullPolicy.',
            }),
          },
          'Image rules.',
        ),
        mesh: meshSection(),
      },
      'What the policy checks and fills in.',
      { required: ['action'] },
    ),
  },
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

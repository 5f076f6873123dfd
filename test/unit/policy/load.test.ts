import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtinPoliciesDir,
  formatPolicyError,
  loadPolicies,
  readPolicyDirectories,
  type PolicyError,
  type PolicySource,
} from '../../../src/policy/index.js';
import { BUILTIN_RULE_IDS } from '../../../src/rules/index.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/policy-load');
const knownRuleIds = new Set([
  'images-disallow-latest',
  'images-allowed-registries',
  'security-context-restricted',
  'probes-liveness-readiness',
  'job-concurrency-policy',
]);

function load(sources: PolicySource[]) {
  return loadPolicies(sources, { knownRuleIds });
}

function fixture(name: string): PolicySource {
  return { file: name, text: readFileSync(join(FIXTURES, name), 'utf8') };
}

function minimal(name: string, spec = 'action: warn'): string {
  return `apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata:\n  name: ${name}\nspec:\n  ${spec}\n`;
}

/** `line:column message`, the part of an error a test cares about. */
function brief(error: PolicyError): string {
  return `${error.line}:${error.column} ${error.message}`;
}

describe('a valid policy', () => {
  const { policies, errors } = load([fixture('full.yaml')]);
  const policy = policies[0]!;

  it('loads without errors', () => {
    expect(errors).toEqual([]);
    expect(policies).toHaveLength(1);
  });

  it('keeps name, annotated version and source', () => {
    expect(policy.name).toBe('payments-batch');
    expect(policy.version).toBe('3');
    expect(policy.source).toBe('full.yaml:1');
  });

  it('compiles field settings to mode and value', () => {
    expect(policy.spec.job).toEqual({
      concurrencyPolicy: { mode: 'default', value: 'Forbid', allowed: ['Forbid', 'Replace'] },
      startingDeadlineSeconds: { mode: 'default', value: 60, min: 10 },
      activeDeadlineSeconds: { mode: 'default', value: 3600, max: 86400 },
      backoffLimit: { mode: 'default', value: 3, max: 6 },
      ttlSecondsAfterFinished: { mode: 'default', value: 86400 },
      successfulJobsHistoryLimit: { max: 5 },
      failedJobsHistoryLimit: { mode: 'enforce', value: 1 },
      restartPolicy: { mode: 'default', value: 'OnFailure' },
    });
    expect(policy.spec.images?.pullPolicy).toEqual({ mode: 'default', value: 'IfNotPresent' });
  });

  it('parses the minimum interval and keeps the rest of the schedule', () => {
    expect(policy.spec.schedule).toEqual({
      minIntervalSeconds: 300,
      timeZone: { required: true, allowed: ['UTC', 'Europe/*'], default: 'UTC' },
      windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '01:00', end: '05:00' }],
    });
  });

  it('keeps quantities as strings, including ones YAML would read as numbers', () => {
    expect(policy.spec.resources).toEqual({
      apply: 'default',
      defaults: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      max: { limits: { cpu: '2', memory: '4Gi' } },
      maxLimitRequestRatio: { cpu: 4, memory: 2 },
      required: ['requests.cpu', 'requests.memory', 'limits.memory'],
    });
  });

  it('keeps match, rule actions, exemptions and the rest as written', () => {
    expect(policy.spec.priority).toBe(100);
    expect(policy.spec.action).toBe('enforce');
    expect(policy.spec.match.kinds).toEqual(['CronJob', 'Job', 'Pod']);
    expect(policy.spec.match.namespaceSelector).toEqual({
      matchLabels: { 'istio-injection': 'enabled' },
      matchExpressions: [{ key: 'tier', operator: 'In', values: ['batch'] }],
    });
    expect(policy.spec.exclude).toEqual({ namespaces: ['kube-system'] });
    expect(policy.spec.ruleActions).toEqual({
      'images-disallow-latest': 'warn',
      'probes-liveness-readiness': 'off',
    });
    expect(policy.spec.exemptions).toEqual([
      {
        rules: ['security-context-restricted'],
        namespaces: ['legacy'],
        names: ['old-*'],
        containers: ['vendor-agent'],
        reason: 'vendor image runs as root; PLAT-12',
      },
    ]);
    expect(policy.spec.nonExemptible).toEqual(['security-context-restricted']);
    expect(policy.spec.securityContext).toEqual({
      profile: 'restricted',
      apply: 'default',
      readOnlyRootFilesystem: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      validateProfile: true,
    });
    expect(policy.spec.probes?.startupProbe).toEqual({
      exec: { command: ['cat', '/tmp/ready'] },
      failureThreshold: 30,
    });
    expect(policy.spec.mesh).toEqual({
      provider: 'auto',
      apply: 'default',
      jobCompletion: { nativeSidecar: 'auto', wrapCommand: false },
    });
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.spec.match.kinds)).toBe(true);
    expect(Object.isFrozen(policy.spec.job?.concurrencyPolicy?.allowed)).toBe(true);
    expect(Object.isFrozen(policy.spec.resources?.defaults?.requests)).toBe(true);
    expect(() => {
      (policy.spec.match.kinds as string[]).push('Pod');
    }).toThrow(TypeError);
  });
});

describe('compiled defaults', () => {
  it('fills in priority, match, rule actions, exemptions and section defaults', () => {
    const text = minimal(
      'defaults',
      'action: audit\n  securityContext: {profile: restricted}\n  resources: {}\n  probes: {}',
    );
    const { policies, errors } = load([{ file: 'defaults.yaml', text }]);
    expect(errors).toEqual([]);
    expect(policies[0]!.spec).toEqual({
      priority: 0,
      action: 'audit',
      match: { kinds: ['CronJob'], operations: ['CREATE', 'UPDATE'] },
      ruleActions: {},
      exemptions: [],
      nonExemptible: [],
      securityContext: { profile: 'restricted', apply: 'default', validateProfile: true },
      resources: { apply: 'default' },
      probes: { warnLivenessReadiness: true },
    });
  });

  it('fills in match defaults around what the author wrote', () => {
    const text = minimal('partial-match', 'action: warn\n  match: {namespaces: [batch]}');
    const { policies } = load([{ file: 'p.yaml', text }]);
    expect(policies[0]!.spec.match).toEqual({
      kinds: ['CronJob'],
      operations: ['CREATE', 'UPDATE'],
      namespaces: ['batch'],
    });
  });
});

describe('version', () => {
  const versionOf = (text: string): string => load([{ file: 'v.yaml', text }]).policies[0]!.version;

  it('is the first 8 hex digits of a hash of the compiled spec', () => {
    expect(versionOf(minimal('hashed'))).toMatch(/^[0-9a-f]{8}$/);
  });

  it('does not change with key order, spelled-out defaults or the name', () => {
    const plain = versionOf(
      minimal('a', 'action: warn\n  job: {backoffLimit: {default: 3, max: 6}}'),
    );
    const reordered = versionOf(
      minimal('b', 'job: {backoffLimit: {max: 6, default: 3}}\n  priority: 0\n  action: warn'),
    );
    expect(reordered).toBe(plain);
  });

  it('changes when the spec changes', () => {
    expect(versionOf(minimal('a', 'action: warn'))).not.toBe(
      versionOf(minimal('a', 'action: audit')),
    );
  });
});

describe('several policies', () => {
  it('reads every policy of a multi-document file, and rejects documents that are not policies', () => {
    const { policies, errors } = load([fixture('multi.yaml')]);
    expect(errors.map(brief)).toEqual([
      '17:1 not a policy: expected apiVersion: cronguard.dev/v1alpha1 and kind: CronJobPolicy, got apiVersion: "v1", kind: "ConfigMap"',
    ]);
    expect(errors[0]!.file).toBe('multi.yaml');
    // One bad document withholds the whole set, not just itself.
    expect(policies).toEqual([]);
  });

  it('records where each policy of a stream starts', () => {
    const text = readFileSync(join(FIXTURES, 'multi.yaml'), 'utf8').split(
      '---\napiVersion: v1',
    )[0]!;
    const { policies, errors } = load([{ file: 'multi.yaml', text }]);
    expect(errors).toEqual([]);
    expect(policies.map((policy) => [policy.name, policy.source])).toEqual([
      ['team-b', 'multi.yaml:9'],
      ['team-a', 'multi.yaml:2'],
    ]);
  });

  it('sorts by priority, highest first, then by name', () => {
    const { policies } = load([
      { file: 'a.yaml', text: minimal('zeta', 'action: warn\n  priority: 10') },
      { file: 'b.yaml', text: minimal('alpha', 'action: warn') },
      { file: 'c.yaml', text: minimal('beta', 'action: warn\n  priority: 10') },
      { file: 'd.yaml', text: minimal('gamma', 'action: warn\n  priority: -5') },
      {
        file: 'e.yaml',
        text: minimal('Beta'.toLowerCase() + '-2', 'action: warn\n  priority: 10'),
      },
    ]);
    expect(policies.map((policy) => policy.name)).toEqual([
      'beta',
      'beta-2',
      'zeta',
      'alpha',
      'gamma',
    ]);
  });

  it('rejects duplicate names across files, naming both places', () => {
    const { policies, errors } = load([
      { file: 'one.yaml', text: minimal('shared') },
      { file: 'two.yaml', text: '# a comment first\n' + minimal('shared') },
    ]);
    expect(policies).toEqual([]);
    expect(errors).toEqual([
      {
        file: 'two.yaml',
        line: 5,
        column: 3,
        message:
          'metadata.name: policy "shared" is already defined at one.yaml:4:3; policy names must be unique',
      },
    ]);
  });

  it('withholds every policy when any file has an error', () => {
    const { policies, errors } = load([
      { file: 'good.yaml', text: minimal('good') },
      { file: 'bad.yaml', text: minimal('bad', 'action: deny') },
    ]);
    expect(errors).toHaveLength(1);
    expect(policies).toEqual([]);
  });

  it('passes YAML syntax errors on with their location', () => {
    const { errors } = load([{ file: 'syntax.yaml', text: minimal('x', 'action: {warn') }]);
    expect(errors.map(brief)).toEqual([
      '7:1 unexpected end of the stream within a flow collection',
    ]);
  });
});

const HEADER = minimal('broken', 'action: enforce');

/**
 * Broken policies: each case is the end of a `spec` that starts with
 * `action: enforce` on line 6, so case lines start at line 7.
 */
const BROKEN: [string, string, string[]][] = [
  // Types and values, worded from the schema.
  [
    'wrong type',
    '  priority: high',
    ['7:3 spec.priority: expected an integer between -1000000 and 1000000, got "high"'],
  ],
  [
    'not an integer',
    '  job:\n    backoffLimit: {max: six}',
    ['8:20 spec.job.backoffLimit.max: expected an integer >= 0, got "six"'],
  ],
  [
    'negative count',
    '  job:\n    backoffLimit: {default: -1}',
    ['8:20 spec.job.backoffLimit.default: expected an integer >= 0, got -1'],
  ],
  [
    'zero deadline',
    '  job:\n    activeDeadlineSeconds: {default: 0}',
    ['8:29 spec.job.activeDeadlineSeconds.default: expected an integer >= 1, got 0'],
  ],
  [
    'setting that is not a mapping',
    '  job:\n    backoffLimit: 3',
    ['8:5 spec.job.backoffLimit: expected a mapping, got 3'],
  ],
  [
    'enum',
    '  match: {kinds: [CronJob, Deployment]}',
    ['7:28 spec.match.kinds[1]: expected one of CronJob, Job, Pod, got "Deployment"'],
  ],
  [
    'restartPolicy Always',
    '  job:\n    restartPolicy: {default: Always}',
    [
      '8:21 spec.job.restartPolicy.default: expected one of OnFailure, Never, got "Always" (Always is not valid for Jobs: their pods must be allowed to finish)',
    ],
  ],
  [
    'enum with a near miss',
    '  images: {pullPolicy: {default: ifNotPresent}}',
    [
      '7:25 spec.images.pullPolicy.default: expected one of Always, IfNotPresent, Never, got "ifNotPresent" (did you mean "IfNotPresent"?)',
    ],
  ],
  [
    'empty list',
    '  match: {kinds: []}',
    ['7:11 spec.match.kinds: expected at least 1 entry, got an empty list'],
  ],
  [
    'list given a string',
    '  images: {allowedRegistries: "registry.example.com"}',
    ['7:12 spec.images.allowedRegistries: expected a list, got "registry.example.com"'],
  ],
  [
    'boolean given a string',
    '  probes: {warnLivenessReadiness: "yes"}',
    ['7:12 spec.probes.warnLivenessReadiness: expected true or false, got "yes"'],
  ],
  [
    'single-value enum',
    '  securityContext: {profile: baseline}',
    ['7:21 spec.securityContext.profile: expected "restricted", got "baseline"'],
  ],
  [
    'ratio below 1',
    '  resources:\n    maxLimitRequestRatio: {cpu: 0.5}',
    [
      '8:28 spec.resources.maxLimitRequestRatio.cpu: expected a number between 1 and 1000000, got 0.5',
    ],
  ],
  [
    'blank reason',
    '  exemptions: [{rules: ["*"], reason: "  "}]',
    ['7:31 spec.exemptions[0].reason: expected a non-empty string, got "  "'],
  ],
  // Missing and unknown fields.
  [
    'missing reason',
    '  exemptions: [{rules: ["*"]}]',
    ['7:16 spec.exemptions[0].reason: required: a non-empty string'],
  ],
  [
    'missing window end',
    '  schedule: {windows: [{start: "03:00"}]}',
    ['7:24 spec.schedule.windows[0].end: required: a time of day "HH:MM" between 00:00 and 24:00'],
  ],
  [
    'missing profile',
    '  securityContext: {apply: enforce}',
    ['7:3 spec.securityContext.profile: required: "restricted"'],
  ],
  [
    'misspelt section',
    '  shedule:\n    minInterval: 5m',
    ['7:3 spec.shedule: unknown field (did you mean "schedule"?)'],
  ],
  [
    'unknown field without a near miss',
    '  job:\n    cronSchedule: {default: x}',
    [
      '8:5 spec.job.cronSchedule: unknown field (expected one of concurrencyPolicy, startingDeadlineSeconds, activeDeadlineSeconds, backoffLimit, ttlSecondsAfterFinished, successfulJobsHistoryLimit, failedJobsHistoryLimit, restartPolicy)',
    ],
  ],
  [
    'kinds in exclude',
    '  exclude: {kinds: [Job]}',
    [
      '7:13 spec.exclude.kinds: unknown field (expected one of namespaces, namespaceSelector, selector, names, operations)',
    ],
  ],
  [
    'min on an enum setting',
    '  job:\n    concurrencyPolicy: {default: Forbid, min: 1}',
    [
      '8:42 spec.job.concurrencyPolicy.min: unknown field (expected one of default, enforce, validate, allowed, required)',
    ],
  ],
  [
    'mesh section without a provider',
    '  mesh: {inject: true}',
    ['7:3 spec.mesh.provider: required: one of istio, linkerd, auto'],
  ],
  // Combinations.
  [
    'two apply modes',
    '  job:\n    concurrencyPolicy: {default: Forbid, enforce: Allow}',
    ['8:5 spec.job.concurrencyPolicy: set at most one of default, enforce, validate'],
  ],
  [
    'empty setting',
    '  job:\n    backoffLimit: {}',
    [
      '8:5 spec.job.backoffLimit: set at least one of default, enforce, validate, allowed, min, max, required',
    ],
  ],
  [
    'two probe handlers',
    '  probes: {startupProbe: {exec: {command: [x]}, tcpSocket: {port: 80}}}',
    ['7:12 spec.probes.startupProbe: set exactly one of exec, httpGet, tcpSocket, grpc'],
  ],
  [
    'no probe handler',
    '  probes: {startupProbe: {periodSeconds: 3}}',
    ['7:12 spec.probes.startupProbe: set exactly one of exec, httpGet, tcpSocket, grpc'],
  ],
  [
    'probe problems in two places',
    '  probes:\n    startupProbe: {periodSeconds: 3}\n    livenessProbe: {exec: {command: [x]}, grpc: {port: 9}}',
    [
      '8:5 spec.probes.startupProbe: set exactly one of exec, httpGet, tcpSocket, grpc',
      '9:5 spec.probes.livenessProbe: set exactly one of exec, httpGet, tcpSocket, grpc',
    ],
  ],
  // Checks after the schema.
  [
    'unknown rule in ruleActions',
    '  ruleActions: {images-disalow-latest: warn}',
    [
      '7:17 spec.ruleActions.images-disalow-latest: unknown rule "images-disalow-latest" (did you mean "images-disallow-latest"?)',
    ],
  ],
  [
    'unknown rule without a near miss',
    '  ruleActions: {totally-unknown: warn}',
    ['7:17 spec.ruleActions.totally-unknown: unknown rule "totally-unknown"'],
  ],
  [
    'unknown rule in an exemption',
    '  exemptions: [{rules: ["*", security-contxt-restricted], reason: x}]',
    [
      '7:30 spec.exemptions[0].rules[1]: unknown rule "security-contxt-restricted" (did you mean "security-context-restricted"?)',
    ],
  ],
  [
    'unknown rule in nonExemptible',
    '  nonExemptible: [images-disallow-lates]',
    [
      '7:19 spec.nonExemptible[0]: unknown rule "images-disallow-lates" (did you mean "images-disallow-latest"?)',
    ],
  ],
  [
    'wildcard in nonExemptible',
    '  nonExemptible: ["*"]',
    ['7:19 spec.nonExemptible[0]: unknown rule "*"'],
  ],
  [
    'duration in words',
    '  schedule: {minInterval: 5 minutes}',
    [
      '7:14 spec.schedule.minInterval: expected a duration such as 90s, 5m or 1h30m (units h, m, s, ms), got "5 minutes"',
    ],
  ],
  [
    'duration in days',
    '  schedule: {minInterval: 1d}',
    [
      '7:14 spec.schedule.minInterval: expected a duration such as 90s, 5m or 1h30m (units h, m, s, ms), got "1d"',
    ],
  ],
  [
    'duration as a number',
    '  schedule: {minInterval: 300}',
    [
      '7:14 spec.schedule.minInterval: expected a duration such as 90s, 5m or 1h30m (units h, m, s, ms), got 300',
    ],
  ],
  [
    'duration out of range',
    '  schedule: {minInterval: 9999999h}',
    [
      '7:14 spec.schedule.minInterval: expected a duration of at most 2562047h (Go\'s limit), got "9999999h"',
    ],
  ],
  [
    'time zone that does not exist',
    '  schedule: {timeZone: {default: Mars/Olympus}}',
    [
      '7:25 spec.schedule.timeZone.default: unknown time zone Mars/Olympus; use a zone from the IANA tz database, e.g. "UTC", "Europe/Berlin" or "America/New_York"',
    ],
  ],
  [
    'literal allowed time zone that does not exist',
    '  schedule: {timeZone: {allowed: [UTC, "Europe/*", Nowhere/Town]}}',
    [
      '7:52 spec.schedule.timeZone.allowed[2]: unknown time zone Nowhere/Town; use a zone from the IANA tz database, e.g. "UTC", "Europe/Berlin" or "America/New_York"',
    ],
  ],
  [
    'default time zone not allowed',
    '  schedule: {timeZone: {allowed: ["Europe/*"], default: America/New_York}}',
    [
      '7:48 spec.schedule.timeZone.default: "America/New_York" is not among the allowed time zones (Europe/*)',
    ],
  ],
  [
    'window times',
    '  schedule:\n    windows:\n      - {start: "1:00", end: "05:00"}\n      - {start: "22:00", end: "24:01"}',
    [
      '9:10 spec.schedule.windows[0].start: expected a time of day "HH:MM" between 00:00 and 24:00, got "1:00"',
      '10:26 spec.schedule.windows[1].end: expected a time of day "HH:MM" between 00:00 and 24:00, got "24:01"',
    ],
  ],
  [
    'empty window',
    '  schedule: {windows: [{start: "03:00", end: "03:00"}]}',
    [
      '7:41 spec.schedule.windows[0].end: start and end are both 03:00, so the window never opens; use start 00:00 and end 24:00 for a whole day',
    ],
  ],
  [
    'window starting at the end of the day',
    '  schedule: {windows: [{start: "24:00", end: "01:00"}]}',
    ['7:25 spec.schedule.windows[0].start: a window cannot start at 24:00; use 00:00'],
  ],
  [
    'window day',
    '  schedule: {windows: [{days: [monday], start: "03:00", end: "04:00"}]}',
    [
      '7:32 spec.schedule.windows[0].days[0]: expected one of mon, tue, wed, thu, fri, sat, sun, got "monday"',
    ],
  ],
  [
    'default below min',
    '  job:\n    startingDeadlineSeconds: {default: 5, min: 10}',
    ['8:31 spec.job.startingDeadlineSeconds.default: 5 is less than min 10'],
  ],
  [
    'enforced value above max',
    '  job:\n    backoffLimit: {enforce: 8, max: 6}',
    ['8:20 spec.job.backoffLimit.enforce: 8 is greater than max 6'],
  ],
  [
    'allowed value out of range',
    '  job:\n    backoffLimit: {allowed: [1, 9], max: 6}',
    ['8:33 spec.job.backoffLimit.allowed[1]: 9 is greater than max 6'],
  ],
  [
    'min above max',
    '  job:\n    backoffLimit: {min: 10, max: 6}',
    ['8:20 spec.job.backoffLimit.min: min 10 is greater than max 6'],
  ],
  [
    'default not allowed',
    '  job:\n    concurrencyPolicy: {default: Allow, allowed: [Forbid, Replace]}',
    [
      '8:25 spec.job.concurrencyPolicy.default: Allow is not one of the allowed values (Forbid, Replace)',
    ],
  ],
  [
    'root user with the restricted profile',
    '  securityContext: {profile: restricted, runAsUser: 0}',
    [
      '7:42 spec.securityContext.runAsUser: 0 is root, which the restricted profile forbids (runAsNonRoot); use a non-zero user id such as 10001',
    ],
  ],
  [
    'quantity',
    '  resources:\n    defaults: {requests: {cpu: lots}}',
    [
      '8:27 spec.resources.defaults.requests.cpu: expected a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi, got "lots"',
    ],
  ],
  [
    'negative quantity',
    '  resources:\n    max: {limits: {memory: "-1Gi"}}',
    [
      '8:20 spec.resources.max.limits.memory: expected a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi, got "-1Gi"',
    ],
  ],
  [
    'request above limit',
    '  resources:\n    defaults: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}',
    [
      '8:27 spec.resources.defaults.requests.memory: default request 1Gi is larger than the default limit 512Mi',
    ],
  ],
  [
    'default above max',
    '  resources:\n    defaults: {limits: {cpu: "4"}}\n    max: {limits: {cpu: 2}}',
    ['8:25 spec.resources.defaults.limits.cpu: default 4 is larger than the max 2'],
  ],
  [
    'required resource field',
    '  resources:\n    required: [requests.cpu, request.memory]',
    [
      '8:30 spec.resources.required[1]: expected one of requests.cpu, requests.memory, requests.ephemeral-storage, limits.cpu, limits.memory, limits.ephemeral-storage, got "request.memory" (did you mean "requests.memory"?)',
    ],
  ],
  [
    'unknown resource',
    '  resources:\n    defaults: {requests: {gpu: 1}}',
    ['8:27 spec.resources.defaults.requests.gpu: unknown field (did you mean "cpu"?)'],
  ],
  [
    'liveness success threshold',
    '  probes: {livenessProbe: {exec: {command: [x]}, successThreshold: 2}}',
    [
      '7:50 spec.probes.livenessProbe.successThreshold: must be 1 for a livenessProbe (Kubernetes rejects anything else), got 2',
    ],
  ],
  [
    'In without values',
    '  match:\n    namespaceSelector:\n      matchExpressions: [{key: tier, operator: In}]',
    [
      '9:26 spec.match.namespaceSelector.matchExpressions[0].values: operator In needs at least one value',
    ],
  ],
  [
    'Exists with values',
    '  match:\n    selector:\n      matchExpressions: [{key: tier, operator: Exists, values: [a]}]',
    ['9:56 spec.match.selector.matchExpressions[0].values: operator Exists takes no values'],
  ],
  // Several problems in one policy come back in reading order.
  [
    'several problems',
    '  priority: high\n  shedule: {}\n  job:\n    backoffLimit: {max: six}',
    [
      '7:3 spec.priority: expected an integer between -1000000 and 1000000, got "high"',
      '8:3 spec.shedule: unknown field (did you mean "schedule"?)',
      '10:20 spec.job.backoffLimit.max: expected an integer >= 0, got "six"',
    ],
  ],
];

describe('broken policies', () => {
  it.each(BROKEN)('%s', (_title, specLines, expected) => {
    const { policies, errors } = load([{ file: 'broken.yaml', text: `${HEADER}${specLines}\n` }]);
    expect(errors.map(brief)).toEqual(expected);
    expect(errors.every((error) => error.file === 'broken.yaml')).toBe(true);
    expect(policies).toEqual([]);
  });

  it.each([
    [
      'a missing action',
      'apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata: {name: x}\nspec:\n  priority: 1\n',
      ['4:1 spec.action: required: one of enforce, warn, audit'],
    ],
    [
      'a missing metadata',
      'apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nspec: {action: warn}\n',
      ['1:1 metadata: required: a mapping with name'],
    ],
    [
      'a name that is not a DNS subdomain',
      minimal('Bad_Name'),
      [
        `4:3 metadata.name: expected a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit), got "Bad_Name"`,
      ],
    ],
    [
      'an empty version annotation',
      'apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata: {name: x, annotations: {cronguard.dev/version: ""}}\nspec: {action: warn}\n',
      ['3:35 metadata.annotations["cronguard.dev/version"]: expected a non-empty version'],
    ],
    [
      'a status section',
      'apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata: {name: x}\nstatus: {}\nspec: {action: warn}\n',
      ['4:1 status: unknown field (expected one of apiVersion, kind, metadata, spec)'],
    ],
    [
      'another apiVersion',
      'kind: CronJobPolicy\napiVersion: cronguard.dev/v1\nmetadata: {name: x}\nspec: {action: warn}\n',
      [
        '2:1 not a policy: expected apiVersion: cronguard.dev/v1alpha1 and kind: CronJobPolicy, got apiVersion: "cronguard.dev/v1", kind: "CronJobPolicy"',
      ],
    ],
    [
      'a missing apiVersion',
      'metadata: {name: x}\nkind: CronJobPolicy\nspec: {action: warn}\n',
      [
        '2:1 not a policy: expected apiVersion: cronguard.dev/v1alpha1 and kind: CronJobPolicy, got apiVersion: (missing), kind: "CronJobPolicy"',
      ],
    ],
  ])('reports %s', (_title, text, expected) => {
    expect(load([{ file: 'broken.yaml', text }]).errors.map(brief)).toEqual(expected);
  });

  it('formats errors as file:line:column: message', () => {
    const [error] = load([{ file: 'broken.yaml', text: `${HEADER}  shedule: {}\n` }]).errors;
    expect(formatPolicyError(error!)).toBe(
      'broken.yaml:7:3: spec.shedule: unknown field (did you mean "schedule"?)',
    );
  });
});

describe('limits against hostile input', () => {
  it('loads 1000 policies and refuses the 1001st', () => {
    const policyText = (index: number): string => minimal(`p-${index}`);
    const thousand = Array.from({ length: 1000 }, (_, index) => policyText(index)).join('---\n');
    expect(load([{ file: 'many.yaml', text: thousand }]).policies).toHaveLength(1000);

    const { policies, errors } = load([
      { file: 'many.yaml', text: thousand },
      { file: 'one-more.yaml', text: '\n' + policyText(1000) },
    ]);
    expect(policies).toEqual([]);
    expect(errors).toEqual([
      {
        file: 'one-more.yaml',
        line: 2,
        column: 1,
        message: 'too many policies: at most 1000 can be loaded together',
      },
    ]);
  });

  it('accepts a glob of 253 characters and 16 stars, and rejects longer or starrier ones', () => {
    const longest = 'a'.repeat(237) + '*'.repeat(16);
    expect(
      load([{ file: 'g.yaml', text: `${HEADER}  match: {names: ["${longest}"]}\n` }]).errors,
    ).toEqual([]);

    const tooLong = 'a'.repeat(254);
    const tooStarry = 'a*'.repeat(17);
    const { errors } = load([
      { file: 'g.yaml', text: `${HEADER}  match: {names: ["${tooLong}", "${tooStarry}"]}\n` },
    ]);
    const glob = `expected a glob (* and ?) of at most 253 characters and at most 16 '*'`;
    expect(errors.map(brief)).toEqual([
      `7:19 spec.match.names[0]: ${glob}, got "${'a'.repeat(60)}…"`,
      `7:277 spec.match.names[1]: ${glob}, got "${tooStarry}"`,
    ]);
  });

  it('accepts lists of 1000 entries and rejects longer ones', () => {
    const namespaces = (count: number): string =>
      Array.from({ length: count }, (_, index) => `ns-${index}`).join(', ');
    expect(
      load([{ file: 'l.yaml', text: `${HEADER}  match: {namespaces: [${namespaces(1000)}]}\n` }])
        .errors,
    ).toEqual([]);

    const { errors } = load([
      { file: 'l.yaml', text: `${HEADER}  match: {namespaces: [${namespaces(1001)}]}\n` },
    ]);
    expect(errors.map(brief)).toEqual([
      '7:11 spec.match.namespaces: expected at most 1000 entries, got 1001',
    ]);
  });

  it('rejects documents nested deeper than 32 levels before validating them', () => {
    // The document is level 1 and spec level 2, so the first bracket opens level 3
    // and bracket 30 opens level 32, the deepest allowed.
    const nested = (brackets: number): string =>
      `${HEADER}  nonExemptible: ${'['.repeat(brackets)}${']'.repeat(brackets)}\n`;
    const atLimit = load([{ file: 'deep.yaml', text: nested(30) }]).errors;
    expect(atLimit.map((error) => error.message)).toEqual([
      'spec.nonExemptible[0]: expected a string, got a list',
    ]);

    const { errors } = load([{ file: 'deep.yaml', text: nested(31) }]);
    expect(errors.map(brief)).toEqual([
      `7:48 spec.nonExemptible${'[0]'.repeat(30)}: nested deeper than 32 levels; a policy never needs that`,
    ]);
  });

  it('stops listing problems of one policy after 25', () => {
    const rules = Array.from({ length: 30 }, (_, index) => `no-such-rule-${index}`).join(', ');
    const { errors } = load([
      { file: 'noisy.yaml', text: `${HEADER}  nonExemptible: [${rules}]\n` },
    ]);
    expect(errors).toHaveLength(26);
    expect(errors.at(-1)).toEqual({
      file: 'noisy.yaml',
      line: 1,
      column: 1,
      message: '5 more problems in this policy not shown',
    });
  });

  it('stops after 1000 errors across all files', () => {
    const rules = Array.from({ length: 30 }, (_, index) => `no-such-rule-${index}`).join(', ');
    const noisy = (index: number): PolicySource => ({
      file: `noisy-${index}.yaml`,
      text: minimal(`noisy-${index}`, `action: warn\n  nonExemptible: [${rules}]`),
    });
    const { errors } = load(Array.from({ length: 100 }, (_, index) => noisy(index)));
    // 26 per file (25 shown and a summary); the 39th file crosses 1000.
    expect(errors).toHaveLength(39 * 26 + 1);
    expect(errors.at(-1)!.message).toBe('stopped after 1000 errors; fix these and load again');
  });
});

describe('the built-in policies', () => {
  it('load without errors against the built-in rules', async () => {
    const read = await readPolicyDirectories([builtinPoliciesDir()]);
    expect(read.errors).toEqual([]);
    const { policies, errors } = loadPolicies(read.sources, { knownRuleIds: BUILTIN_RULE_IDS });
    expect(errors.map(formatPolicyError)).toEqual([]);
    expect(policies.length).toBeGreaterThan(0);
  });
});

/**
 * Broken policy reloads under load: while 1000 req/s run, the policy ConfigMap
 * volume is replaced by a set with a YAML syntax error, then by one with a schema
 * error, then by a good new set. No request may fail; while a broken set is on
 * disk every decision must be the last good set's (its policy sets
 * concurrencyPolicy: Forbid); each refusal is counted in the metrics; the good
 * set then takes effect, and once one answer shows it, every later request does.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../src/cli/policies.js';
import { createJsonLogger } from '../../src/server/log.js';
import { eventually } from '../kube/support.js';
import { scrapeMetrics, startTestServer, testCertificates } from '../server/support.js';
import {
  describeLoad,
  FAULT_SECONDS,
  LOAD_RATE,
  metricValue,
  ProjectedVolume,
  reviewTemplateOf,
  sleep,
  startLoad,
  temporaryDirectory,
  timeoutFor,
  type LoadRun,
  type WebhookAnswer,
} from './support.js';

function teamPolicy(concurrencyPolicy: string): string {
  return `apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata:
  name: team-defaults
spec:
  action: warn
  match:
    kinds: [CronJob]
  job:
    concurrencyPolicy: {default: ${concurrencyPolicy}}
`;
}

const HISTORY_POLICY = `---
apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata:
  name: team-history
spec:
  action: warn
  match:
    kinds: [CronJob]
  job:
    successfulJobsHistoryLimit: {max: 10}
`;

const GOOD_FIRST = { 'policy.yaml': teamPolicy('Forbid') };
/** An unclosed flow mapping: the file does not parse at all. */
const BROKEN_YAML = {
  'policy.yaml': teamPolicy('Forbid').replace('{default: Forbid}', '{default: Forbid'),
};
/** Parses, but `Sometimes` is no concurrencyPolicy: the schema refuses it. */
const BROKEN_SCHEMA = { 'policy.yaml': teamPolicy('Sometimes') };
const GOOD_SECOND = { 'policy.yaml': teamPolicy('Replace') + HISTORY_POLICY };

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'team-a' },
  spec: {
    schedule: '17 3 * * *',
    concurrencyPolicy: 'Allow',
    jobTemplate: {
      spec: {
        template: {
          spec: {
            containers: [{ name: 'main', image: 'registry.example.com/report:2.1.0' }],
            restartPolicy: 'OnFailure',
          },
        },
      },
    },
  },
};

/** The concurrencyPolicy a /mutate answer's patch sets, or undefined when it sets none. */
function patchedConcurrencyPolicy(answer: WebhookAnswer): unknown {
  const { patch } = answer.review.response ?? {};
  if (typeof patch !== 'string') return undefined;
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as {
    path: string;
    value?: unknown;
  }[];
  return operations.find((operation) => operation.path === '/spec/concurrencyPolicy')?.value;
}

/**
 * Judges each answer by when its request was sent: before the good new set was
 * written, only the first set's Forbid is right; after it, either (a request may
 * have started on the old set), until an answer showed Replace: from the next
 * request sent, only Replace. Sets swap with one assignment read once per request,
 * so a request sent after a Replace answer arrived cannot see the old set.
 */
class DecisionJudge {
  /** Requests sent before the new set was written (undefined: not yet written). */
  private sentBeforeNewSet: number | undefined;
  private sentBeforeReplaceSeen: number | undefined;
  replaceAnswers = 0;

  constructor(private readonly run: () => LoadRun) {}

  newSetWritten(): void {
    this.sentBeforeNewSet = this.run().snapshot().sent;
  }

  check = (answer: WebhookAnswer): string | undefined => {
    if (answer.review.response?.allowed !== true) return 'the CronJob was not allowed';
    if (!answer.path.startsWith('/mutate')) return undefined;
    const value = patchedConcurrencyPolicy(answer);
    if (value === 'Replace') {
      this.replaceAnswers += 1;
      this.sentBeforeReplaceSeen ??= this.run().snapshot().sent;
    }
    const expected =
      this.sentBeforeNewSet === undefined || answer.sequence < this.sentBeforeNewSet
        ? ['Forbid']
        : this.sentBeforeReplaceSeen !== undefined && answer.sequence >= this.sentBeforeReplaceSeen
          ? ['Replace']
          : ['Forbid', 'Replace'];
    return expected.includes(String(value))
      ? undefined
      : `request #${answer.sequence} was patched to ${String(value)}, expected ${expected.join(' or ')}`;
  };
}

describe('policy reload under load', () => {
  it(
    'keeps the last good set through a YAML error and a schema error, without a failed request, then takes the good new set',
    async () => {
      const volume = new ProjectedVolume(temporaryDirectory('cronguard-load-policies-'));
      volume.publish(GOOD_FIRST);
      const reloadLines: string[] = [];
      const server = await startTestServer({
        policySet: await loadPolicySet([volume.directory]),
        policyReload: {
          paths: [volume.directory],
          load: loadPolicySet,
          pollIntervalMs: 150,
          debounceMs: 20,
        },
        logger: createJsonLogger('info', (line) => {
          if (line.includes('"msg":"policy set') || line.includes('policy set refused')) {
            reloadLines.push(line);
          }
        }),
      });
      const reloadErrors = async (): Promise<number | undefined> =>
        metricValue(
          await scrapeMetrics(server.metricsPort),
          'cronguard_policy_reload_errors_total',
        );
      let run: LoadRun | undefined;
      const judge = new DecisionJudge(() => run!);
      try {
        run = startLoad({
          port: server.port,
          rate: LOAD_RATE,
          durationMs: FAULT_SECONDS * 1000,
          ca: testCertificates().caCert,
          bodyTemplate: reviewTemplateOf(cronJob),
          paths: ['/mutate?timeout=10s', '/validate?timeout=10s'],
          check: judge.check,
        });
        const step = (FAULT_SECONDS * 1000) / 5;
        await sleep(step);
        volume.publish(BROKEN_YAML);
        await eventually(async () => (await reloadErrors()) === 1);
        await sleep(step);
        volume.publish(BROKEN_SCHEMA);
        await eventually(async () => (await reloadErrors()) === 2);
        await sleep(step);
        judge.newSetWritten();
        volume.publish(GOOD_SECOND);
        await eventually(() => judge.replaceAnswers > 0);
        const report = await run.done;
        console.log(describeLoad('policy reload', report));
        console.log(
          `[load] answers patched to Replace after the good new set: ${judge.replaceAnswers}`,
        );

        expect(report.failureSamples).toEqual([]);
        expect(report.failed).toBe(0);
        expect(report.outcomes.refused).toBe(0);
        expect(report.outcomes.ok).toBe(report.sent);
        const metrics = await scrapeMetrics(server.metricsPort);
        expect(metricValue(metrics, 'cronguard_policy_reload_errors_total')).toBe(2);
        expect(metricValue(metrics, 'cronguard_policies_loaded')).toBe(2);
        const refusals = reloadLines.filter((line) => line.includes('policy set refused'));
        expect(refusals).toHaveLength(2);
        expect(refusals[0]).toContain('policy.yaml');
        expect(refusals[1]).toMatch(/policy\.yaml:10:\d+/);
        expect(reloadLines.at(-1)).toContain('team-history@');
      } finally {
        run?.stop();
        await server.close();
      }
    },
    timeoutFor(FAULT_SECONDS),
  );
});

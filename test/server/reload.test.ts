import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { AdmissionReviewResponse } from '../../src/admission/index.js';
import { loadPolicySet } from '../../src/cli/policies.js';
import { watchForChanges, fingerprintFiles } from '../../src/server/file-watch.js';
import { createJsonLogger } from '../../src/server/log.js';
import { generateDevelopmentCertificates } from '../../src/server/tls.js';
import { reviewOf } from '../unit/admission/support.js';
import {
  callWebhook,
  postReview,
  scrapeMetrics,
  SERVICE_HOST,
  startTestServer,
  testCertificates,
} from './support.js';
import { ProjectedVolume } from '../support/projected-volume.js';

/** Short enough to keep the suite fast, long enough to coalesce a burst of events. */
const TEST_DEBOUNCE_MS = 20;
const TEST_POLL_MS = 150;

/** Polls `probe` until it returns a value, failing with `what` after the timeout. */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function teamPolicy(concurrencyPolicy: string, extraPolicy = ''): string {
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
${extraPolicy}`;
}

const SECOND_POLICY = `---
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

/** The concurrencyPolicy the mutating webhook sets, or undefined when it sets none. */
async function mutatedConcurrencyPolicy(port: number): Promise<unknown> {
  const answer = await postReview(port, '/mutate?timeout=10s', reviewOf(cronJob));
  expect(answer.status).toBe(200);
  const { patch } = (JSON.parse(answer.body) as AdmissionReviewResponse).response;
  if (patch === undefined) return undefined;
  const operations = JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as {
    path: string;
    value?: unknown;
  }[];
  return operations.find((operation) => operation.path === '/spec/concurrencyPolicy')?.value;
}

function metricValue(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('policy hot reload', () => {
  it('swaps in a changed ConfigMap, and refuses a broken one keeping the last good set', async () => {
    const volume = new ProjectedVolume(mkdtempSync(join(tmpdir(), 'cronguard-policies-')));
    volume.publish({ 'policy.yaml': teamPolicy('Forbid') });
    const server = await startTestServer({
      policySet: await loadPolicySet([volume.directory]),
      policyReload: {
        paths: [volume.directory],
        load: loadPolicySet,
        pollIntervalMs: TEST_POLL_MS,
        debounceMs: TEST_DEBOUNCE_MS,
      },
    });
    try {
      expect(await mutatedConcurrencyPolicy(server.port)).toBe('Forbid');

      volume.publish({ 'policy.yaml': teamPolicy('Replace', SECOND_POLICY) });
      await eventually('the new default', async () =>
        (await mutatedConcurrencyPolicy(server.port)) === 'Replace' ? true : undefined,
      );
      let metrics = await scrapeMetrics(server.metricsPort);
      expect(metricValue(metrics, 'cronguard_policies_loaded')).toBe(2);
      expect(metricValue(metrics, 'cronguard_policy_reload_errors_total')).toBe(0);
      expect(server.logLines.join('')).toMatch(/"msg":"policy set reloaded".*team-history@/);

      // An invalid value on line 10: the whole set is refused, not just that policy.
      volume.publish({ 'policy.yaml': teamPolicy('Sometimes', SECOND_POLICY) });
      metrics = await eventually('the reload error to be counted', async () => {
        const text = await scrapeMetrics(server.metricsPort);
        return metricValue(text, 'cronguard_policy_reload_errors_total') === 1 ? text : undefined;
      });
      expect(metricValue(metrics, 'cronguard_policies_loaded')).toBe(2);
      expect(await mutatedConcurrencyPolicy(server.port)).toBe('Replace');
      const refusal = server.logLines.find((line) => line.includes('policy set refused'));
      expect(refusal).toBeDefined();
      expect(JSON.parse(refusal!)).toMatchObject({
        level: 'error',
        details: expect.stringMatching(/policy\.yaml:10:\d+: /) as unknown,
      });
      expect((await callWebhook(server.port, '/readyz', undefined)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('watchForChanges', () => {
  it('notices a change by polling alone, once per change, and stops when closed', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'cronguard-poll-'));
    const file = join(directory, 'watched.txt');
    writeFileSync(file, 'one');
    let changes = 0;
    const watch = await watchForChanges({
      subject: 'test',
      directories: [], // no file-system events: only the poll can see the change
      pollIntervalMs: 30,
      fingerprint: () => fingerprintFiles([file]),
      onChange: () => {
        changes += 1;
        return Promise.resolve();
      },
      logger: createJsonLogger('error', () => undefined),
    });
    try {
      writeFileSync(file, 'two');
      await eventually('the change', () => Promise.resolve(changes === 1 ? true : undefined));
      // Further polls see the same content and must not report it again.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(changes).toBe(1);
    } finally {
      await watch.close();
    }
    writeFileSync(file, 'three');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(changes).toBe(1);
  });
});

describe('certificate reload', () => {
  const first = testCertificates();
  const second = generateDevelopmentCertificates({
    service: 'cronguard',
    namespace: 'cronguard-system',
  });
  const third = generateDevelopmentCertificates({
    service: 'cronguard',
    namespace: 'cronguard-system',
  });
  const trustedCas = [first.caCert, second.caCert, third.caCert];
  const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;

  /** The certificate a brand-new TLS connection is served. */
  function newConnectionFingerprint(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: SERVICE_HOST, ca: trustedCas });
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.end();
      });
      socket.once('error', reject);
    });
  }

  it('serves a rotated pair to new connections without dropping a request in flight, and refuses a broken pair', async () => {
    const volume = new ProjectedVolume(mkdtempSync(join(tmpdir(), 'cronguard-tls-')));
    volume.publish({ 'tls.crt': first.cert, 'tls.key': first.key });
    const server = await startTestServer({
      tls: { cert: first.cert, key: first.key },
      certificateReload: {
        certPath: join(volume.directory, 'tls.crt'),
        keyPath: join(volume.directory, 'tls.key'),
        pollIntervalMs: TEST_POLL_MS,
        debounceMs: TEST_DEBOUNCE_MS,
      },
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: trustedCas });
    try {
      expect(await newConnectionFingerprint(server.port)).toBe(fingerprintOf(first.cert));
      const body = JSON.stringify(reviewOf(cronJob));
      // Opens the keep-alive connection the in-flight request below reuses.
      await new Promise<void>((resolve, reject) => {
        httpsRequest(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/healthz',
            servername: SERVICE_HOST,
            agent,
          },
          (response) => {
            response.resume().on('end', resolve);
          },
        )
          .on('error', reject)
          .end();
      });

      // Half the body goes out before the rotation, the rest after it.
      const inFlight = httpsRequest({
        host: '127.0.0.1',
        port: server.port,
        path: '/mutate?timeout=10s',
        method: 'POST',
        servername: SERVICE_HOST,
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      });
      const answered = new Promise<{ status: number; text: string; served: string }>(
        (resolve, reject) => {
          inFlight.on('response', (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              resolve({
                status: response.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
                served: (inFlight.socket as TLSSocket).getPeerCertificate().fingerprint256,
              });
            });
          });
          inFlight.on('error', reject);
        },
      );
      inFlight.write(body.slice(0, 100));
      await new Promise((resolve) => inFlight.once('socket', resolve));
      expect(inFlight.reusedSocket).toBe(true);

      volume.publish({ 'tls.crt': second.cert, 'tls.key': second.key });
      await eventually('new connections to get the rotated certificate', async () =>
        (await newConnectionFingerprint(server.port)) === fingerprintOf(second.cert)
          ? true
          : undefined,
      );
      inFlight.end(body.slice(100));
      const answer = await answered;
      expect(answer.status).toBe(200);
      expect((JSON.parse(answer.text) as AdmissionReviewResponse).response.allowed).toBe(true);
      expect(answer.served).toBe(fingerprintOf(first.cert));

      let metrics = await scrapeMetrics(server.metricsPort);
      expect(metricValue(metrics, 'cronguard_certificate_reloads_total')).toBe(1);
      expect(metricValue(metrics, 'cronguard_certificate_reload_errors_total')).toBe(0);
      expect(metricValue(metrics, 'cronguard_certificate_expiry_timestamp_seconds')).toBe(
        new Date(new X509Certificate(second.cert).validTo).getTime() / 1000,
      );

      // A certificate with someone else's key: refused, the rotated pair stays.
      volume.publish({ 'tls.crt': third.cert, 'tls.key': second.key });
      metrics = await eventually('the refusal to be counted', async () => {
        const text = await scrapeMetrics(server.metricsPort);
        return metricValue(text, 'cronguard_certificate_reload_errors_total') === 1
          ? text
          : undefined;
      });
      expect(metricValue(metrics, 'cronguard_certificate_reloads_total')).toBe(1);
      expect(await newConnectionFingerprint(server.port)).toBe(fingerprintOf(second.cert));
      expect(server.logLines.join('')).toContain('does not match the certificate');
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

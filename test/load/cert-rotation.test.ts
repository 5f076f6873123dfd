/**
 * Certificate rotation under load: the serving certificate and key are replaced
 * twice while 1000 req/s run, with renewals from the same CA (as cert-manager
 * renews), once as plain files renamed into place and once as a Secret volume's
 * `..data` symlink swap. No request may fail, and new connections, including the
 * load's own (some requests ask for Connection: close, so handshakes keep
 * happening), must be served the new certificate.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scrapeMetrics, startTestServer, testCertificates } from '../server/support.js';
import { eventually } from '../kube/support.js';
import { createJsonLogger } from '../../src/server/log.js';
import {
  describeLoad,
  FAULT_SECONDS,
  issueFromSameCa,
  LOAD_RATE,
  metricValue,
  newConnectionSerial,
  ProjectedVolume,
  RenamedFiles,
  reviewTemplateOf,
  serialOf,
  sleep,
  startLoad,
  temporaryDirectory,
  timeoutFor,
} from './support.js';

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'rotate', namespace: 'team-a' },
  spec: {
    schedule: '*/5 * * * *',
    jobTemplate: {
      spec: {
        template: {
          spec: { containers: [{ name: 'c', image: 'busybox:1.36' }], restartPolicy: 'OnFailure' },
        },
      },
    },
  },
};

const layouts = [
  { name: 'plain files replaced by atomic rename', create: RenamedFiles },
  { name: 'a Secret volume updated by the ..data symlink swap', create: ProjectedVolume },
] as const;

describe('certificate rotation under load', () => {
  const ca = testCertificates();
  const renewals = [issueFromSameCa(ca), issueFromSameCa(ca)];

  it.each(layouts)(
    'with $name: no request fails and new connections get each new certificate',
    async ({ create }) => {
      const files = new create(temporaryDirectory('cronguard-load-tls-'));
      files.publish({ 'tls.crt': ca.cert, 'tls.key': ca.key });
      const certificateLines: { level?: string; msg?: string; serial?: string }[] = [];
      const server = await startTestServer({
        tls: { cert: ca.cert, key: ca.key },
        certificateReload: {
          certPath: join(files.directory, 'tls.crt'),
          keyPath: join(files.directory, 'tls.key'),
          pollIntervalMs: 150,
          debounceMs: 20,
        },
        logger: createJsonLogger('info', (line) => {
          if (line.includes('certificate')) {
            certificateLines.push(JSON.parse(line) as (typeof certificateLines)[number]);
          }
        }),
      });
      try {
        expect(await newConnectionSerial(server.port, ca.caCert)).toBe(serialOf(ca.cert));
        const run = startLoad({
          port: server.port,
          rate: LOAD_RATE,
          durationMs: FAULT_SECONDS * 1000,
          ca: ca.caCert,
          bodyTemplate: reviewTemplateOf(cronJob),
          paths: ['/mutate?timeout=10s', '/validate?timeout=10s'],
          closeEvery: 25,
          check: ({ review }) =>
            review.response?.allowed === true ? undefined : 'the CronJob was not allowed',
        });
        const step = (FAULT_SECONDS * 1000) / 3;
        for (const renewal of renewals) {
          await sleep(step);
          files.publish({ 'tls.crt': renewal.cert, 'tls.key': renewal.key });
          await eventually(
            async () =>
              (await newConnectionSerial(server.port, ca.caCert)) === serialOf(renewal.cert),
          );
        }
        const report = await run.done;
        console.log(describeLoad('certificate rotation', report));
        console.log(
          `[load] new load connections by certificate serial: ${JSON.stringify(report.connectionsBySerial)}`,
        );

        expect(report.failureSamples).toEqual([]);
        expect(report.failed).toBe(0);
        expect(report.outcomes.refused).toBe(0);
        expect(report.outcomes.ok).toBe(report.sent);
        // The load's own new connections saw every certificate in turn, the last one included.
        for (const served of [ca.cert, ...renewals.map((renewal) => renewal.cert)]) {
          expect(report.connectionsBySerial[serialOf(served)], serialOf(served)).toBeGreaterThan(0);
        }
        expect(Object.keys(report.connectionsBySerial)).toHaveLength(3);
        const metrics = await scrapeMetrics(server.metricsPort);
        // Each rotation was installed; a fingerprint read that straddles a rotation (the
        // certificate read before the swap, the key after) costs one more, harmless
        // reload of the same pair, so the counter may exceed the rotations.
        const reloaded = certificateLines
          .filter((line) => line.msg === 'serving certificate reloaded')
          .map((line) => line.serial?.toUpperCase());
        expect([...new Set(reloaded)]).toEqual(renewals.map((renewal) => serialOf(renewal.cert)));
        expect(metricValue(metrics, 'cronguard_certificate_reloads_total')).toBe(reloaded.length);
        expect(metricValue(metrics, 'cronguard_certificate_reload_errors_total')).toBe(0);
        expect(certificateLines.filter((line) => line.level === 'error')).toEqual([]);
        if (reloaded.length > renewals.length) {
          console.log(`[load] ${reloaded.length} reloads for ${renewals.length} rotations`);
        }
      } finally {
        await server.close();
      }
    },
    timeoutFor(FAULT_SECONDS),
  );
});

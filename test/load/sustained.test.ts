/**
 * Sustained load: the webhook at a constant 1000 requests/s (LOAD_RATE) for
 * LOAD_SECONDS (8 s in CI; LOAD_SECONDS=60 is the full run), half
 * /mutate and half /validate over keep-alive HTTPS, with the built-in policies
 * and JSON logging at info as in production. Every answer must be a 200 with its
 * own uid and the expected decision, and the heap must not grow.
 */
import { describe, expect, it } from 'vitest';
import { benchReview } from '../../bench/webhook.js';
import { createJsonLogger } from '../../src/server/log.js';
import { startTestServer, testCertificates } from '../server/support.js';
import {
  describeLoad,
  heapUsedAfterGc,
  LOAD_RATE,
  MiB,
  numberFromEnv,
  sleep,
  startLoad,
  timeoutFor,
  UID_PLACEHOLDER,
  type WebhookAnswer,
} from './support.js';

/** The steady state judged; the load runs WARM_UP_SECONDS longer. */
const LOAD_SECONDS = numberFromEnv('LOAD_SECONDS', 8);
/**
 * JIT tiers, TLS sessions and prom-client label sets settle first (here the
 * first seconds run at about half the later rate); the heap is judged after.
 */
const WARM_UP_SECONDS = 3;
const TOTAL_SECONDS = WARM_UP_SECONDS + LOAD_SECONDS;

/**
 * The heap, after full GCs, is sampled ~7 times across the steady state, with the
 * number of requests served at each sample. Two judgements:
 * - growth first to last below 30 MiB and 50 % of the starting heap (the issue's
 *   coarse bounds): at the full 1000 req/s for LOAD_SECONDS=60 a leak of ~520
 *   bytes per request (a uid string with its Map entry) exceeds 30 MiB;
 * - the least-squares slope of heap over requests served below 1 KiB/request,
 *   which holds whatever rate this shared machine reaches, so a short CI run
 *   still catches a per-request leak of a few KiB. Measured here: a healthy
 *   server shows 0-250 B/request (inline caches, code, prom-client series, a
 *   one-off step soon after warm-up); one that keeps each decoded review (tried
 *   with an admitReview wrapper that retains it) shows ~3.3 KiB/request, at 225
 *   req/s as well as at 1000.
 */
const MAX_HEAP_GROWTH_BYTES = 30 * MiB;
const MAX_HEAP_GROWTH_RATIO = 0.5;
const MAX_HEAP_SLOPE_BYTES_PER_REQUEST = 1024;

interface HeapSample {
  /** Requests sent since the steady state began. */
  requests: number;
  heapBytes: number;
}

/** Least-squares slope of heap bytes over requests: the heap kept per request. */
function bytesPerRequest(samples: readonly HeapSample[]): number {
  const n = samples.length;
  const meanX = samples.reduce((sum, sample) => sum + sample.requests, 0) / n;
  const meanY = samples.reduce((sum, sample) => sum + sample.heapBytes, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const { requests, heapBytes } of samples) {
    covariance += (requests - meanX) * (heapBytes - meanY);
    variance += (requests - meanX) ** 2;
  }
  return variance === 0 ? 0 : covariance / variance;
}

function reviewTemplate(): string {
  const review = benchReview();
  (review.request as { uid: string }).uid = UID_PLACEHOLDER;
  return JSON.stringify(review);
}

/** The built-in policies mutate the bench CronJob (no resources, no securityContext...). */
function builtInDecision({ path, review }: WebhookAnswer): string | undefined {
  if (review.response?.allowed !== true) return `not allowed: ${JSON.stringify(review.response)}`;
  if (path.startsWith('/mutate') && typeof review.response.patch !== 'string') {
    return 'the mutating webhook returned no patch';
  }
  if (path.startsWith('/validate') && review.response.patch !== undefined) {
    return 'the validating webhook returned a patch';
  }
  return undefined;
}

describe('sustained load', () => {
  it(
    `answers ${LOAD_RATE} req/s for ${LOAD_SECONDS} s: every request 200 with its uid, no errors, flat heap`,
    async () => {
      let logLines = 0;
      const server = await startTestServer({
        // Formatted as in production, then dropped: a test array would itself be the leak.
        logger: createJsonLogger('info', () => {
          logLines += 1;
        }),
      });
      try {
        const run = startLoad({
          port: server.port,
          rate: LOAD_RATE,
          durationMs: TOTAL_SECONDS * 1000,
          ca: testCertificates().caCert,
          bodyTemplate: reviewTemplate(),
          paths: ['/mutate?timeout=10s', '/validate?timeout=10s'],
          check: builtInDecision,
        });
        await sleep(WARM_UP_SECONDS * 1000);
        const windowStart = { at: performance.now(), sent: run.snapshot().sent };
        const sample = (): HeapSample => {
          const heapBytes = heapUsedAfterGc();
          return { requests: run.snapshot().sent - windowStart.sent, heapBytes };
        };
        const samples = [sample()];
        const sampleEveryMs = Math.max(1_000, (LOAD_SECONDS * 1000) / 6);
        const stopSamplingAt = windowStart.at + LOAD_SECONDS * 1000 - 300;
        // Every sample is taken while the load runs, the same phase as the first one.
        while (performance.now() + sampleEveryMs < stopSamplingAt) {
          await sleep(sampleEveryMs);
          samples.push(sample());
        }
        await sleep(Math.max(0, stopSamplingAt - performance.now()));
        samples.push(sample());
        const windowRequests = samples.at(-1)?.requests ?? 0;
        const windowRate = (windowRequests * 1000) / (performance.now() - windowStart.at);
        const report = await run.done;

        const first = samples[0]?.heapBytes ?? 0;
        const growth = (samples.at(-1)?.heapBytes ?? 0) - first;
        const slope = bytesPerRequest(samples);
        console.log(describeLoad('sustained', report));
        console.log(
          `[load] steady state: ${windowRequests} requests at ${windowRate.toFixed(0)} req/s; ` +
            `heap after GC (MiB) ${samples.map(({ heapBytes }) => (heapBytes / MiB).toFixed(1)).join(' → ')}, ` +
            `growth ${(growth / MiB).toFixed(1)} MiB, slope ${slope.toFixed(0)} B/request`,
        );
        if (windowRate < LOAD_RATE * 0.95) {
          console.log(
            `[load] this machine reached ${windowRate.toFixed(0)} of the ${LOAD_RATE} req/s offered (shared CPU); judged on what was sent`,
          );
        }

        expect(report.failureSamples).toEqual([]);
        expect(report.failed).toBe(0);
        expect(report.outcomes.refused).toBe(0);
        expect(report.outcomes.ok).toBe(report.sent);
        // Both webhooks were exercised, in equal measure.
        expect(report.okByPath['/mutate?timeout=10s']).toBeGreaterThan(0);
        expect(
          Math.abs(
            (report.okByPath['/mutate?timeout=10s'] ?? 0) -
              (report.okByPath['/validate?timeout=10s'] ?? 0),
          ),
        ).toBeLessThanOrEqual(1);
        // The whole schedule was offered: each due request was sent, or counted as behind
        // when the server had maxInFlight outstanding (how many that is depends on the machine).
        expect(report.sent + report.behind).toBe(Math.floor(LOAD_RATE * TOTAL_SECONDS));
        expect(report.sent).toBeGreaterThan(0);
        // Mutations log at info: one line per /mutate answer, none lost.
        expect(logLines).toBeGreaterThanOrEqual(report.okByPath['/mutate?timeout=10s'] ?? 0);
        expect(growth).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
        expect(growth).toBeLessThan(first * MAX_HEAP_GROWTH_RATIO);
        expect(slope).toBeLessThan(MAX_HEAP_SLOPE_BYTES_PER_REQUEST);
      } finally {
        await server.close();
      }
    },
    timeoutFor(TOTAL_SECONDS),
  );
});

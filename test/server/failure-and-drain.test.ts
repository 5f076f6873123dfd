import { request as httpsRequest } from 'node:https';
import { describe, expect, it } from 'vitest';
import { admit, type AdmissionReviewResponse } from '../../src/admission/index.js';
import { reviewOf } from '../unit/admission/support.js';
import {
  callWebhook,
  postReview,
  scrapeMetrics,
  SERVICE_HOST,
  startTestServer,
  testCertificates,
} from './support.js';

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'slow', namespace: 'team-a' },
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

const throwingAdmit: typeof admit = () => {
  throw new Error('engine exploded');
};

/** A clock that jumps 11 s on every reading after the first: every request looks slow. */
function slowClock(): () => number {
  let now = 0;
  return () => {
    const reading = now;
    now += 11_000;
    return reading;
  };
}

describe('failure handling', () => {
  it('with --failure-mode allow, answers allowed without a patch when admission throws', async () => {
    const server = await startTestServer({ admitReview: throwingAdmit, failureMode: 'allow' });
    try {
      const answer = await postReview(server.port, '/mutate?timeout=10s', reviewOf(cronJob));
      expect(answer.status).toBe(200);
      const review = JSON.parse(answer.body) as AdmissionReviewResponse;
      expect(review.response).toEqual({
        uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
        allowed: true,
      });
      expect(server.logLines.join('')).toContain('engine exploded');
      expect(await scrapeMetrics(server.metricsPort)).toMatch(/decision="error"/);
    } finally {
      await server.close();
    }
  });

  it('with --failure-mode error, answers HTTP 500 so the failurePolicy applies', async () => {
    const server = await startTestServer({ admitReview: throwingAdmit, failureMode: 'error' });
    try {
      const answer = await postReview(server.port, '/validate?timeout=10s', reviewOf(cronJob));
      expect(answer.status).toBe(500);
      expect(answer.body).toContain('engine exploded');
    } finally {
      await server.close();
    }
  });

  it('over the ?timeout= budget: allow mode still answers, error mode answers 500; both count it', async () => {
    for (const failureMode of ['allow', 'error'] as const) {
      const server = await startTestServer({ clock: slowClock(), failureMode });
      try {
        const answer = await postReview(server.port, '/mutate?timeout=10s', reviewOf(cronJob));
        expect(answer.status).toBe(failureMode === 'allow' ? 200 : 500);
        const metrics = await scrapeMetrics(server.metricsPort);
        expect(metrics).toContain('cronguard_admission_budget_exceeded_total{webhook="mutate"} 1');
      } finally {
        await server.close();
      }
    }
  });

  it('a generous budget is not exceeded', async () => {
    const server = await startTestServer({ clock: slowClock() });
    try {
      await postReview(server.port, '/mutate?timeout=30s', reviewOf(cronJob));
      const metrics = await scrapeMetrics(server.metricsPort);
      expect(metrics).not.toContain(
        'cronguard_admission_budget_exceeded_total{webhook="mutate"} 1',
      );
    } finally {
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request, turns readiness off and refuses new connections', async () => {
    const server = await startTestServer();
    const body = Buffer.from(JSON.stringify(reviewOf(cronJob)));
    let resolveStatus: (status: number) => void = () => undefined;
    const status = new Promise<number>((resolve) => {
      resolveStatus = resolve;
    });
    const inFlight = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path: '/mutate?timeout=10s',
        method: 'POST',
        servername: SERVICE_HOST,
        ca: testCertificates().caCert,
        agent: false,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      },
      (response) => {
        response.resume();
        response.on('end', () => {
          resolveStatus(response.statusCode ?? 0);
        });
      },
    );
    // Send half the body, so the request is in flight when the drain starts.
    inFlight.write(body.subarray(0, 100));
    await new Promise((resolve) => setTimeout(resolve, 100));

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    expect(server.state.draining).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(closed).toBe(false);
    await expect(callWebhook(server.port, '/healthz', undefined)).rejects.toThrow(/ECONNREFUSED/);

    inFlight.end(body.subarray(100));
    expect(await status).toBe(200);
    await closing;
    expect(closed).toBe(true);
  });

  it('readiness reports draining while connections are still open', async () => {
    const server = await startTestServer();
    server.state.draining = true;
    const answer = await callWebhook(server.port, '/readyz', undefined);
    expect(answer.status).toBe(503);
    expect(answer.body).toContain('draining');
    await server.close();
  });
});

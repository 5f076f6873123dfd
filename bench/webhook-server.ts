/**
 * Bench-only launcher, run as a child process by bench/webhook.ts so the load
 * generator does not share the server's event loop.
 *
 *   node dist/bench/webhook-server.js cronguard|bare <cert.pem> <key.pem>
 *
 * `cronguard` is the real webhook (startWebhookServer, built-in policies, JSON
 * logs to stdout as in production); `bare` is the baseline: a plain Node.js HTTPS
 * server that reads the body, JSON.parses it and answers a fixed allow with the
 * request's uid. The bound ports go to the parent over the IPC channel; SIGTERM
 * stops the server and exits normally (so `--cpu-prof` can write its profile).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadPolicySet } from '../src/cli/policies.js';
import { createJsonLogger, createLineBuffer } from '../src/server/log.js';
import { startWebhookServer } from '../src/server/server.js';

export interface LauncherReady {
  port: number;
  /** The Prometheus port (cronguard only). */
  metricsPort?: number;
}

const [kind, certPath, keyPath] = process.argv.slice(2);
if ((kind !== 'cronguard' && kind !== 'bare') || !certPath || !keyPath) {
  console.error('usage: webhook-server.js cronguard|bare <cert.pem> <key.pem>');
  process.exit(2);
}
const cert = readFileSync(certPath, 'utf8');
const key = readFileSync(keyPath, 'utf8');

let stop: () => Promise<void>;
let ready: LauncherReady;

if (kind === 'cronguard') {
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    tls: { cert, key },
    policySet: await loadPolicySet([]),
    failureMode: 'allow',
    // As `cronguard serve` logs: one write per event-loop turn.
    logger: createJsonLogger('info', createLineBuffer((text) => process.stdout.write(text)).write),
    drainTimeoutMs: 2_000,
  });
  ready = { port: server.port, metricsPort: server.metricsPort };
  stop = () => server.close();
} else {
  const server = createServer({ cert, key, minVersion: 'TLSv1.2' }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        apiVersion?: string;
        request?: { uid?: string };
      };
      const body = JSON.stringify({
        apiVersion: review.apiVersion ?? 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid: review.request?.uid ?? '', allowed: true },
      });
      response.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ready = { port: (server.address() as AddressInfo).port };
  stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
}

process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
process.send?.(ready);

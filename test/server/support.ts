import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DevelopmentCertificates } from '../../src/server/tls.js';
import { generateDevelopmentCertificates } from '../../src/server/tls.js';
import { createJsonLogger } from '../../src/server/log.js';
import {
  startWebhookServer,
  type RunningWebhookServer,
  type WebhookServerOptions,
} from '../../src/server/server.js';
import { loadPolicySet } from '../../src/cli/policies.js';

/** The name the API server uses as SNI and checks the certificate against. */
export const SERVICE_HOST = 'cronguard.cronguard-system.svc';

let certificates: DevelopmentCertificates | undefined;

/** One CA and serving certificate per test file: RSA key generation takes a moment. */
export function testCertificates(): DevelopmentCertificates {
  certificates ??= generateDevelopmentCertificates({
    service: 'cronguard',
    namespace: 'cronguard-system',
  });
  return certificates;
}

export interface TestServer extends RunningWebhookServer {
  logLines: string[];
}

/** The real server on free ports, with the built-in policies and a CA made in the test. */
export async function startTestServer(
  overrides: Partial<WebhookServerOptions> = {},
): Promise<TestServer> {
  const logLines: string[] = [];
  const { cert, key } = testCertificates();
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    metricsPort: 0,
    tls: { cert, key },
    policySet: await loadPolicySet([]),
    failureMode: 'allow',
    logger: createJsonLogger('debug', (line) => logLines.push(line)),
    drainTimeoutMs: 5_000,
    ...overrides,
  });
  return Object.assign(server, { logLines });
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface PostOptions {
  contentType?: string;
  /** PEM CA the client trusts (only that one); defaults to the test CA. */
  ca?: string;
  method?: string;
}

/**
 * An HTTPS call as the API server makes it: SNI and certificate check for the
 * service name, trusting only the given CA, one connection per call.
 */
export function callWebhook(
  port: number,
  path: string,
  body: string | Buffer | undefined,
  options: PostOptions = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        servername: SERVICE_HOST,
        ca: options.ca ?? testCertificates().caCert,
        agent: false,
        headers:
          body === undefined
            ? {}
            : {
                'Content-Type': options.contentType ?? 'application/json',
                'Content-Length': Buffer.byteLength(body),
              },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export function postReview(port: number, path: string, review: unknown): Promise<HttpAnswer> {
  return callWebhook(port, path, JSON.stringify(review));
}

export function scrapeMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    })
      .on('error', reject)
      .end();
  });
}

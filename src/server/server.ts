import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { PolicySet } from '../policy/types.js';
import { createWebhookHandler, type WebhookHandlerOptions, type WebhookState } from './app.js';
import type { FailureMode } from './config.js';
import type { Logger } from './log.js';
import type { ChangeWatch } from './file-watch.js';
import { createMetricsServer, WebhookMetrics } from './metrics.js';
import {
  certificateExpirySeconds,
  MIN_TLS_VERSION,
  watchCertificate,
  watchPolicies,
  type PolicySetSink,
  type CertificateReloadOptions,
  type PolicyReloadOptions,
} from './reload.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  metricsPort: number;
  tls: { cert: string; key: string };
  policySet: PolicySet;
  failureMode: FailureMode;
  logger: Logger;
  drainTimeoutMs: number;
  /** Watch these policy paths and swap in changed sets; absent for the built-in set. */
  policyReload?: PolicyReloadOptions;
  /** Watch the files `tls` was read from and reload them when they change. */
  certificateReload?: CertificateReloadOptions;
  namespaceLabels?: WebhookHandlerOptions['namespaceLabels'];
  cluster?: WebhookHandlerOptions['cluster'];
  /** For tests of failure handling; see WebhookHandlerOptions. */
  clock?: WebhookHandlerOptions['clock'];
  admitReview?: WebhookHandlerOptions['admitReview'];
}

export interface RunningWebhookServer {
  /** The bound HTTPS port (the real one when 0 was asked for). */
  port: number;
  metricsPort: number;
  state: WebhookState;
  metrics: WebhookMetrics;
  /**
   * Graceful stop: readiness turns false, no new connections are accepted, idle
   * keep-alive connections close, in-flight requests finish (or are cut after the
   * drain timeout), then the metrics server stops. Policy and certificate
   * watchers stop at once.
   */
  close(): Promise<void>;
}

/** A slow client (slowloris) must not hold a connection for Node's default 300 s. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Shorter than typical load-balancer idle timeouts, longer than the API server's reuse gap. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export async function startWebhookServer(
  options: WebhookServerOptions,
): Promise<RunningWebhookServer> {
  const metrics = new WebhookMetrics();
  const state: WebhookState = { policySet: options.policySet, draining: false };
  metrics.policiesLoaded.set(options.policySet.policies.length);
  metrics.certificateExpiry.set(certificateExpirySeconds(options.tls.cert));

  const https = createHttpsServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: MIN_TLS_VERSION,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    },
    createWebhookHandler({
      state,
      failureMode: options.failureMode,
      logger: options.logger,
      metrics,
      namespaceLabels: options.namespaceLabels,
      cluster: options.cluster,
      clock: options.clock,
      admitReview: options.admitReview,
    }),
  );
  https.on('tlsClientError', (error) => {
    // Handshake failures (a client that does not trust our CA, port scans) are the
    // client's problem; log them quietly rather than crash or shout.
    options.logger.log('debug', 'TLS handshake failed', { error: error.message });
  });
  const metricsServer = createMetricsServer(metrics);

  const port = await listen(https, options.port, options.host);
  let metricsPort: number;
  try {
    metricsPort = await listen(metricsServer, options.metricsPort, options.host);
  } catch (error) {
    https.close();
    throw error;
  }

  // Watching starts once listening succeeded, so a failed start leaves no watcher behind.
  const watches: ChangeWatch[] = [];
  try {
    if (options.policyReload !== undefined) {
      const sink: PolicySetSink = {
        accept(policySet) {
          state.policySet = policySet;
          metrics.policiesLoaded.set(policySet.policies.length);
        },
        refuse() {
          metrics.policyReloadErrors.inc();
        },
      };
      watches.push(await watchPolicies(options.policyReload, sink, options.logger));
    }
    if (options.certificateReload !== undefined) {
      watches.push(
        await watchCertificate(options.certificateReload, https, metrics, options.logger),
      );
    }
  } catch (error) {
    await Promise.all(watches.map((watch) => watch.close()));
    https.close();
    metricsServer.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    // Both at once: readiness must turn false at once, not after a reload in progress.
    closing ??= Promise.all([
      ...watches.map((watch) => watch.close()),
      drain(https, metricsServer, state, options.drainTimeoutMs),
    ]).then(() => undefined);
    return closing;
  };
  return { port, metricsPort, state, metrics, close };
}

async function drain(
  https: HttpsServer,
  metricsServer: HttpServer,
  state: WebhookState,
  drainTimeoutMs: number,
): Promise<void> {
  state.draining = true;
  const closed = new Promise<void>((resolve) => {
    https.close(() => {
      resolve();
    });
  });
  // close() stops accepting and (Node >= 19) closes idle keep-alive connections;
  // busy ones close after their answer because draining answers carry Connection: close.
  https.closeIdleConnections();
  const deadline = setTimeout(() => {
    https.closeAllConnections();
  }, drainTimeoutMs);
  deadline.unref();
  await closed;
  clearTimeout(deadline);
  await new Promise<void>((resolve) => {
    metricsServer.close(() => {
      resolve();
    });
    metricsServer.closeAllConnections();
  });
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

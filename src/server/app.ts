import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import {
  admit,
  decodeReview,
  type AdmissionOutcome,
  type AdmissionReviewResponse,
  type DecodedReview,
  type WebhookType,
} from '../admission/index.js';
import { WORKLOAD_KINDS } from '../k8s/types.js';
import type { ClusterFacts } from '../mesh/types.js';
import type { PolicySet } from '../policy/types.js';
import { parseGoDuration } from '../schedule/index.js';
import type { FailureMode } from './config.js';
import type { Logger } from './log.js';
import type { RequestDecision, WebhookMetrics } from './metrics.js';

/** The API server never sends more than 3 MiB (its own request limit); bigger is hostile. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/**
 * An oversized body is read and thrown away up to this size so the client gets the
 * 413 instead of a connection reset mid-upload; beyond it the connection is closed.
 */
const MAX_DISCARD_BYTES = 16 * 1024 * 1024;
/** The API server's default when a request carries no `?timeout=` (timeoutSeconds default). */
const DEFAULT_BUDGET_MS = 10_000;
/** Time kept for sending the answer and for the network; an answer later than this is late. */
const BUDGET_MARGIN_MS = 100;
/** Longest request-supplied text in one log field; a DNS subdomain name (253) fits whole. */
export const MAX_LOGGED_TEXT = 512;

/** What the handler reads on every request; the server swaps fields in place. */
export interface WebhookState {
  /** The policy set in force; undefined until loaded (readiness is false meanwhile). */
  policySet: PolicySet | undefined;
  /** Set on SIGTERM: readiness turns false and connections are not kept alive. */
  draining: boolean;
}

export interface WebhookHandlerOptions {
  state: WebhookState;
  failureMode: FailureMode;
  logger: Logger;
  metrics: WebhookMetrics;
  /** Namespace labels for namespaceSelector policies; undefined when there is no cache. */
  namespaceLabels?: (namespace: string) => Readonly<Record<string, string>> | undefined;
  /** What is known about the cluster; read per request (the version may arrive after start). */
  cluster?: () => ClusterFacts | undefined;
  /** Monotonic milliseconds; tests may slow the clock down to exercise the budget. */
  clock?: () => number;
  /** Stand-in for admit(), for tests of failure handling only. */
  admitReview?: typeof admit;
}

const WEBHOOK_PATHS: ReadonlyMap<string, WebhookType> = new Map([
  ['/mutate', 'mutate'],
  ['/validate', 'validate'],
]);

/**
 * The request listener for the HTTPS server. The two admission routes are handled
 * directly on node:http objects: express's router, request/response prototypes and
 * body-parser cost more per request than admission itself (measured at 0.3–0.45 of
 * a bare node:https server's throughput). Express serves everything else (health
 * probes, 404s), where its convenience costs nothing that matters.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): RequestListener {
  const app = createExpressApp(options.state);
  return (request, response) => {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const webhook = WEBHOOK_PATHS.get(path);
    if (webhook !== undefined && request.method === 'POST') {
      handleAdmission(webhook, request, response, url, queryStart, options);
      return;
    }
    app(request, response);
  };
}

function createExpressApp(state: WebhookState): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Liveness: the process answers. Never depends on policies, so a broken reload
  // cannot get a healthy pod killed.
  app.get('/healthz', (_request, response) => {
    response.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_request, response) => {
    if (state.draining) response.status(503).type('text/plain').send('draining\n');
    else if (state.policySet === undefined)
      response.status(503).type('text/plain').send('policies not loaded\n');
    else response.type('text/plain').send('ok\n');
  });
  app.all(['/mutate', '/validate'], (request, response) => {
    response
      .status(405)
      .set('Allow', 'POST')
      .json({ error: `${request.path} takes POST with an AdmissionReview, not ${request.method}` });
  });
  app.use((request, response) => {
    response.status(404).json({
      error: `no route ${request.method} ${request.path}; use POST /mutate, POST /validate, GET /healthz or GET /readyz`,
    });
  });
  return app;
}

function handleAdmission(
  webhook: WebhookType,
  request: IncomingMessage,
  response: ServerResponse,
  url: string,
  queryStart: number,
  options: WebhookHandlerOptions,
): void {
  const clock = options.clock ?? performanceNow;
  const started = clock();
  const budgetMs =
    queryStart === -1 ? DEFAULT_BUDGET_MS : budgetFromQuery(url.slice(queryStart + 1));
  const reject = (status: number, message: string): void => {
    sendJson(response, status, JSON.stringify({ error: message }), options.state.draining);
    options.metrics.recordRequest(
      { webhook, operation: '', kind: '', decision: 'bad_request', dryRun: false },
      (clock() - started) / 1000,
    );
    options.logger.log('debug', 'rejected request', {
      webhook,
      status,
      reason: loggedText(message),
    });
  };

  if (!isJsonContentType(request.headers['content-type'])) {
    reject(
      415,
      `Content-Type must be application/json, got "${request.headers['content-type'] ?? ''}"`,
    );
    request.resume();
    return;
  }
  const declaredLength = Number(request.headers['content-length'] ?? Number.NaN);
  if (declaredLength > MAX_DISCARD_BYTES) {
    response.setHeader('Connection', 'close');
    // Not worth reading: answer, then drop the connection once the answer is out.
    response.once('finish', () => request.destroy());
    reject(413, `request body of ${declaredLength} bytes exceeds the ${MAX_BODY_BYTES}-byte limit`);
    return;
  }

  const chunks: Buffer[] = [];
  let received = 0;
  request.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received <= MAX_BODY_BYTES) chunks.push(chunk);
    else if (received > MAX_DISCARD_BYTES) request.destroy();
  });
  request.on('error', (error) => {
    options.logger.log('debug', 'request stream failed', { webhook, error: error.message });
  });
  request.on('end', () => {
    if (received > MAX_BODY_BYTES) {
      reject(413, `request body exceeds the ${MAX_BODY_BYTES}-byte limit`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks, received).toString('utf8'));
    } catch (error) {
      reject(400, `request body is not valid JSON: ${messageOf(error)}`);
      return;
    }
    const decoded = decodeReview(body);
    if (!decoded.ok) {
      reject(400, decoded.field === '' ? decoded.message : `${decoded.field}: ${decoded.message}`);
      return;
    }
    answerReview(webhook, decoded, response, { started, budgetMs, clock }, options);
  });
}

interface Timing {
  started: number;
  budgetMs: number;
  clock: () => number;
}

function answerReview(
  webhook: WebhookType,
  review: DecodedReview,
  response: ServerResponse,
  timing: Timing,
  options: WebhookHandlerOptions,
): void {
  const { state, logger, metrics } = options;
  const policySet = state.policySet;
  let outcome: AdmissionOutcome | undefined;
  let failure: string | undefined;
  if (policySet === undefined) {
    failure = 'no policy set is loaded';
  } else {
    try {
      outcome = (options.admitReview ?? admit)(review, {
        policySet,
        webhook,
        namespaceLabels: options.namespaceLabels,
        cluster: options.cluster?.(),
      });
      failure = outcome.internalError;
    } catch (error) {
      failure = `admission failed: ${messageOf(error)}`;
    }
  }

  const elapsedMs = timing.clock() - timing.started;
  // admit() is synchronous and cannot be interrupted, so the budget can only be
  // checked afterwards. A late answer is still sent (the API server may still be
  // waiting, since it rounds timeouts up to whole seconds) but it is logged and
  // counted, and with --failure-mode error it becomes a 500 like any other failure.
  const late = elapsedMs > timing.budgetMs - BUDGET_MARGIN_MS;
  if (late) {
    metrics.recordBudgetExceeded(webhook);
    logger.log('warn', 'admission exceeded the request budget', {
      webhook,
      uid: loggedText(review.uid),
      elapsedMs: Math.round(elapsedMs),
      budgetMs: timing.budgetMs,
    });
    if (failure === undefined && options.failureMode === 'error') {
      failure = `evaluation took ${Math.round(elapsedMs)} ms of a ${timing.budgetMs} ms budget`;
    }
  }

  let decision: RequestDecision;
  if (failure !== undefined && options.failureMode === 'error') {
    decision = 'error';
    // Non-2xx is a "call error" for the API server, so the webhook's failurePolicy
    // (Fail or Ignore) decides, as the operator configured.
    sendJson(response, 500, JSON.stringify({ error: failure }), state.draining);
  } else if (outcome === undefined) {
    decision = 'error';
    sendJson(response, 200, JSON.stringify(allowUntouched(review)), state.draining);
  } else {
    decision = outcome.decision;
    sendJson(response, 200, JSON.stringify(outcome.review), state.draining);
  }

  const seconds = (timing.clock() - timing.started) / 1000;
  metrics.recordRequest(
    {
      webhook,
      operation: review.operation,
      // A metric label: request.kind is the caller's text, so only the evaluated kinds pass.
      kind: outcome?.kind ?? WORKLOAD_KINDS.find((kind) => kind === review.kind?.kind) ?? 'other',
      decision,
      dryRun: review.dryRun,
    },
    seconds,
  );
  if (outcome !== undefined) metrics.recordOutcome(outcome);
  logDecision(logger, webhook, review, outcome, decision, failure, seconds);
}

/** Answer for `--failure-mode allow` when admit() itself failed: allowed, unchanged. */
function allowUntouched(review: DecodedReview): AdmissionReviewResponse {
  return {
    apiVersion: review.apiVersion,
    kind: 'AdmissionReview',
    response: { uid: review.uid, allowed: true },
  };
}

function logDecision(
  logger: Logger,
  webhook: WebhookType,
  review: DecodedReview,
  outcome: AdmissionOutcome | undefined,
  decision: RequestDecision,
  failure: string | undefined,
  seconds: number,
): void {
  // Routine answers (allowed, skipped) are debug; what changed or refused an object
  // is info, so an operator can trace every effect cronguard had without noise.
  const level =
    failure !== undefined
      ? 'error'
      : decision === 'allowed' || decision === 'skipped'
        ? 'debug'
        : 'info';
  if (!logger.enabled(level)) return;
  logger.log(level, failure === undefined ? 'admission decision' : 'admission failed', {
    webhook,
    uid: loggedText(review.uid),
    operation: review.operation,
    kind: loggedText(outcome?.kind ?? review.kind?.kind),
    namespace: loggedText(outcome?.namespace ?? review.namespace),
    name: loggedText(outcome?.name ?? review.name),
    dryRun: review.dryRun,
    decision,
    // One entry per change in the outcome; the log only needs which rules acted.
    mutatedRules: [...new Set(outcome?.mutatedRules)].join(',') || undefined,
    findings: outcome?.findings.length,
    skipReason: loggedText(outcome?.skipReason),
    error: failure,
    durationMs: Math.round(seconds * 1e6) / 1e3,
  });
}

/**
 * Text from the request as it goes into a log field. Names, namespaces and uids are
 * short in anything the API server sends, but a hostile caller's may be megabytes; cut,
 * one request cannot write megabytes of log (found by test/fuzz/admission-fuzz.test.ts).
 */
export function loggedText(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= MAX_LOGGED_TEXT) return text;
  return `${text.slice(0, MAX_LOGGED_TEXT)}…(${text.length} characters)`;
}

/** `?timeout=10s` as sent by the API server; missing or unparsable means the default. */
export function budgetFromQuery(query: string): number {
  const timeout = new URLSearchParams(query).get('timeout');
  if (timeout === null) return DEFAULT_BUDGET_MS;
  const parsed = parseGoDuration(timeout);
  if (!parsed.ok || parsed.nanoseconds <= 0n) return DEFAULT_BUDGET_MS;
  return Number(parsed.nanoseconds / 1_000_000n);
}

/** `application/json`, with parameters, or any `+json` structured syntax suffix. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const mediaType = (header.split(';', 1)[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function sendJson(response: ServerResponse, status: number, body: string, closing: boolean): void {
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  };
  // While draining, close each connection after its answer so keep-alive clients
  // move to another replica instead of holding this one open.
  if (closing) headers.Connection = 'close';
  response.writeHead(status, headers);
  response.end(body);
}

function performanceNow(): number {
  return performance.now();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

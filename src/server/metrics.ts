import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdmissionOutcome } from '../admission/index.js';

/**
 * Buckets from 1 ms to 10 s: the API server's default webhook timeout is 10 s, and
 * the interesting range for a healthy webhook is the low milliseconds.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Decisions beyond admit()'s own: `bad_request` for bodies that are not a usable
 * AdmissionReview (HTTP 4xx, operation and kind unknown), `error` for failures
 * answered per --failure-mode.
 */
export type RequestDecision = AdmissionOutcome['decision'] | 'bad_request' | 'error';

export interface RequestLabels {
  webhook: string;
  operation: string;
  kind: string;
  decision: RequestDecision;
  dryRun: boolean;
}

/**
 * The webhook's Prometheus metrics, in a registry of its own (not prom-client's
 * global one) so several servers can live in one process, as they do in tests.
 */
export class WebhookMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'cronguard_admission_requests_total',
    help: 'Admission requests answered, by webhook, operation, object kind, decision and whether the request was a dry run.',
    labelNames: ['webhook', 'operation', 'kind', 'decision', 'dry_run'] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'cronguard_admission_duration_seconds',
    help: 'Time from receiving an admission request to sending the answer, in seconds.',
    labelNames: ['webhook'] as const,
    buckets: [...DURATION_BUCKETS_SECONDS],
    registers: [this.registry],
  });
  private readonly mutations = new Counter({
    name: 'cronguard_mutations_total',
    help: 'Changes made by the mutating webhook, by rule (dry runs included).',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });
  private readonly findings = new Counter({
    name: 'cronguard_policy_findings_total',
    help: 'Policy findings, by policy, rule and action (enforce, warn, audit).',
    labelNames: ['policy', 'rule', 'action'] as const,
    registers: [this.registry],
  });
  private readonly budgetExceeded = new Counter({
    name: 'cronguard_admission_budget_exceeded_total',
    help: 'Answers that took longer than the ?timeout= budget the API server sent (it had likely given up).',
    labelNames: ['webhook'] as const,
    registers: [this.registry],
  });
  readonly policiesLoaded = new Gauge({
    name: 'cronguard_policies_loaded',
    help: 'Policies in the set currently in force.',
    registers: [this.registry],
  });
  readonly policyReloadErrors = new Counter({
    name: 'cronguard_policy_reload_errors_total',
    help: 'Policy sets refused at reload because they did not load; the last good set stays in force.',
    registers: [this.registry],
  });
  readonly certificateReloads = new Counter({
    name: 'cronguard_certificate_reloads_total',
    help: 'Serving certificates reloaded from disk after they changed (cert-manager rotation).',
    registers: [this.registry],
  });
  readonly certificateReloadErrors = new Counter({
    name: 'cronguard_certificate_reload_errors_total',
    help: 'Changed certificate files refused (unreadable, not PEM, key does not match); the previous certificate is still served.',
    registers: [this.registry],
  });
  readonly certificateExpiry = new Gauge({
    name: 'cronguard_certificate_expiry_timestamp_seconds',
    help: 'notAfter of the serving certificate in force, in seconds since the epoch; alert when it gets close.',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Export the zero so alerts on increase() work from the first scrape.
    this.policyReloadErrors.inc(0);
    this.certificateReloads.inc(0);
    this.certificateReloadErrors.inc(0);
  }

  recordRequest(labels: RequestLabels, seconds: number): void {
    this.requests.inc({
      webhook: labels.webhook,
      operation: labels.operation,
      kind: labels.kind,
      decision: labels.decision,
      dry_run: labels.dryRun ? 'true' : 'false',
    });
    this.duration.observe({ webhook: labels.webhook }, seconds);
  }

  recordOutcome(outcome: AdmissionOutcome): void {
    for (const rule of outcome.mutatedRules) this.mutations.inc({ rule });
    for (const finding of outcome.findings) {
      this.findings.inc({ policy: finding.policy, rule: finding.ruleId, action: finding.action });
    }
  }

  recordBudgetExceeded(webhook: string): void {
    this.budgetExceeded.inc({ webhook });
  }
}

/**
 * Plain-HTTP server for Prometheus: GET /metrics only. Kept off the HTTPS port so
 * scraping needs no webhook certificate and cannot compete with admission traffic
 * for the TLS listener.
 */
export function createMetricsServer(metrics: WebhookMetrics): Server {
  return createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('not found; metrics are at GET /metrics\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': metrics.registry.contentType });
        response.end(text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end(
          `cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      },
    );
  });
}

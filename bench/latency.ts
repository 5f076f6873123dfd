/**
 * Webhook latency at fixed request rates (100, 500, 1000 req/s), for cronguard
 * and for the bare Node.js HTTPS server, on the same AdmissionReview, in one run.
 *
 * Why not autocannon's `overallRate`: autocannon splits the rate over its
 * connections and each connection sends back-to-back until it has used its
 * quota for the current second, then idles until a 1 s timer resets it
 * (autocannon/lib/httpClient.js, `reqsMadeThisSecond`). So "1000 req/s" is a
 * burst at full speed at the start of every second followed by silence: the
 * latencies are those of a saturated server for a fraction of each second, and a
 * slow answer delays the next request instead of being queued behind it
 * (coordinated omission). The API server sends admission requests as they come.
 *
 * So this is an open-loop sender: request i is due at start + i / rate, sent at
 * its due time whether or not earlier answers arrived, over a pool of keep-alive
 * TLS connections (as the API server keeps connections to a webhook). Latency is
 * measured from the due time, not the send time, so a late send (a busy sender
 * or a full pool) counts against the result instead of hiding a stall; the
 * sender's own lateness is printed too, so it can be told apart from the server's.
 */
import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { percentile, type Print } from './figures.js';
import { processMemory } from './proc.js';
import { SERVICE_HOST, startBenchServers, type Child } from './webhook.js';

const QUICK = process.env.BENCH_QUICK === '1';
export const FIXED_RATES = [100, 500, 1000] as const;
const WARMUP_S = QUICK ? 0.5 : 2;
const MEASURE_S = QUICK ? 2 : 10;
/** Enough for 1000 req/s at up to 64 ms each; beyond that requests wait for a socket (and it shows). */
const MAX_SOCKETS = 64;
/** A request not answered in this long is an error, as the API server's webhook timeout would be. */
const TIMEOUT_MS = 10_000;

interface RateRun {
  /** Due time to end of response, ms, ascending. */
  latencies: Float64Array;
  /** Send time minus due time, ms, ascending. */
  senderLag: Float64Array;
  achievedRate: number;
  errors: number;
  non2xx: number;
}

function sendAtConstantRate(
  agent: Agent,
  port: number,
  body: string,
  ca: string,
  rate: number,
  seconds: number,
): Promise<RateRun> {
  const total = Math.max(1, Math.round(rate * seconds));
  const intervalMs = 1000 / rate;
  const latencies: number[] = [];
  const senderLag: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let settled = 0;
  let sent = 0;
  const start = performance.now();
  let lastEnd = start;

  return new Promise((resolve) => {
    const finishOne = (): void => {
      settled++;
      lastEnd = performance.now();
      if (settled < total) return;
      const sorted = (values: number[]) => Float64Array.from(values).sort();
      resolve({
        latencies: sorted(latencies),
        senderLag: sorted(senderLag),
        achievedRate: (latencies.length / (lastEnd - start)) * 1000,
        errors,
        non2xx,
      });
    };
    const send = (dueAt: number): void => {
      senderLag.push(performance.now() - dueAt);
      const outgoing = request(
        {
          host: '127.0.0.1',
          port,
          path: '/mutate?timeout=10s',
          method: 'POST',
          servername: SERVICE_HOST,
          ca,
          agent,
          timeout: TIMEOUT_MS,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
          },
        },
        (response) => {
          response.on('data', () => undefined);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) latencies.push(performance.now() - dueAt);
            else non2xx++;
            finishOne();
          });
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
      outgoing.on('error', () => {
        errors++;
        finishOne();
      });
      outgoing.end(body);
    };
    const pump = (): void => {
      const now = performance.now();
      // Everything due by now goes out now: timers fire late on a busy machine,
      // and skipping would lower the rate instead of showing the lag.
      while (sent < total && start + sent * intervalMs <= now) {
        send(start + sent * intervalMs);
        sent++;
      }
      if (sent < total) setTimeout(pump, Math.max(0, start + sent * intervalMs - now));
    };
    pump();
  });
}

export async function latencyBenchmark(print: Print): Promise<void> {
  const servers = await startBenchServers();
  const { body, ca } = servers;
  const targets: [string, Child][] = [
    ['bare', servers.bare],
    ['webhook', servers.webhook],
  ];
  // One keep-alive pool per server for the whole group: connection setup is
  // warm-up, not part of any measured rate.
  const agents = new Map(
    targets.map(([name]) => [name, new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })]),
  );
  try {
    for (const rate of FIXED_RATES) {
      const results = new Map<string, RateRun>();
      for (const [name, child] of targets) {
        const agent = agents.get(name)!;
        await sendAtConstantRate(agent, child.ready.port, body, ca, rate, WARMUP_S);
        results.set(
          name,
          await sendAtConstantRate(agent, child.ready.port, body, ca, rate, MEASURE_S),
        );
      }
      for (const [name, run] of results) {
        print(`${name}.achieved_rate_at_${rate}rps`, run.achievedRate, 'req/s', 0);
        print(`${name}.latency_p50_at_${rate}rps`, percentile(run.latencies, 50), 'ms', 3);
        print(`${name}.latency_p99_at_${rate}rps`, percentile(run.latencies, 99), 'ms', 3);
        print(`${name}.latency_p999_at_${rate}rps`, percentile(run.latencies, 99.9), 'ms', 3);
        print(`${name}.sender_lag_p99_at_${rate}rps`, percentile(run.senderLag, 99), 'ms', 3);
        print(`${name}.failed_at_${rate}rps`, run.errors + run.non2xx, 'requests', 0);
      }
      // p99.9 of fewer than 1000 samples is close to the maximum; this says how many.
      print(`latency.requests_per_run_at_${rate}rps`, Math.round(rate * MEASURE_S), 'requests', 0);
      const webhook = results.get('webhook')!;
      const bare = results.get('bare')!;
      for (const [label, p] of [
        ['p50', 50],
        ['p99', 99],
        ['p999', 99.9],
      ] as const) {
        const ratio = percentile(webhook.latencies, p) / percentile(bare.latencies, p);
        print(`webhook.latency_${label}_ratio_at_${rate}rps`, ratio, 'x');
      }
    }
    const memory = processMemory(servers.webhook.process.pid);
    print('webhook.rss_after_fixed_rate_load', memory.rssBytes / 2 ** 20, 'MiB', 1);
  } finally {
    for (const agent of agents.values()) agent.destroy();
    await servers.close();
  }
}

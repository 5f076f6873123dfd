import { waitForTermination } from './serve.js';
import { parseArgs } from 'node:util';
import { UserError } from '../../errors.js';
import { loadKubeConfig } from '../../kube/config.js';
import { LOG_LEVELS, type LogLevel } from '../../server/config.js';
import { createJsonLogger, createLineBuffer } from '../../server/log.js';
import { VERSION } from '../../version.js';
import { startWatcher } from '../../watcher/watch.js';
import type { CliIo } from '../io.js';

export const WATCH_USAGE = `Usage: cronguard watch [options]

Watches CronJobs, Jobs and Job pods and serves their run metrics
(cronjob_jobs_total, cronjob_job_duration_seconds, ... see docs/metrics.md) over
plain HTTP: GET /metrics, /healthz (process up), /readyz (first lists loaded).
Needs list and watch on cronjobs, jobs and pods; writes nothing to the cluster.

Options:
  --kubeconfig FILE     cluster credentials (default: in-cluster service account,
                        then $KUBECONFIG, then ~/.kube/config)
  --metrics-port N      port of /metrics, /healthz and /readyz (default 9090)
  --host ADDRESS        address to listen on (default 0.0.0.0)
  --namespace NS        watch only this namespace (repeatable; default: all)
  --log-level LEVEL     debug, info, warn or error (default info)
  --leader-elect        accepted for compatibility: this version only exports
                        metrics and writes nothing, so every replica serves the
                        same metrics and no leadership is needed yet
  -h, --help            this text`;

/** How often scheduled runs are judged missed or not; a fraction of the 75 s default deadline. */
const TICK_INTERVAL_MS = 15_000;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `cronguard watch`: the run-metrics half of the companion watcher. Serves until
 * SIGTERM or SIGINT (io.stopRequested in tests), then stops the informers and the
 * server and returns 0.
 */
export async function watchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      kubeconfig: { type: 'string' },
      'metrics-port': { type: 'string' },
      host: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      'log-level': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout(WATCH_USAGE + '\n');
    return 0;
  }
  if (positionals.length > 0) {
    throw new UserError(`watch takes no positional arguments, got "${positionals.join(' ')}"`);
  }
  const metricsPort = parsePort(values['metrics-port']);
  const logLevel = parseLogLevel(values['log-level']);
  const namespaces = [...new Set(values.namespace ?? [])];
  for (const namespace of namespaces) {
    if (!DNS_LABEL.test(namespace) || namespace.length > 63) {
      throw new UserError(`--namespace must be a namespace name (a DNS label), got "${namespace}"`);
    }
  }

  const loaded = loadKubeConfig({
    kubeconfigPath: values.kubeconfig,
    env: io.env,
    ...(io.env.HOME === undefined ? {} : { homeDir: io.env.HOME }),
  });
  if (loaded.kubeConfig === undefined) {
    // Unlike the webhook, the watcher has nothing to do without a cluster.
    throw new UserError(`watch needs cluster credentials and found none: ${loaded.reason}`, [
      'pass --kubeconfig FILE, set KUBECONFIG, or run it in a pod with a service account',
    ]);
  }

  const logLines = createLineBuffer(io.stdout);
  process.once('exit', logLines.flush);
  const logger = createJsonLogger(logLevel, logLines.write);
  const host = values.host ?? '0.0.0.0';
  const watcher = await startWatcher({
    kubeConfig: loaded.kubeConfig,
    namespaces,
    metricsPort,
    host,
    logger,
    tickIntervalMs: TICK_INTERVAL_MS,
  });
  logger.log('info', 'cronguard watcher serving run metrics', {
    version: VERSION,
    cluster: loaded.description,
    namespaces: namespaces.length === 0 ? 'all' : namespaces.join(','),
    metrics: `http://${host}:${watcher.metricsPort}/metrics`,
  });
  if (values['leader-elect'] === true) {
    logger.log(
      'info',
      '--leader-elect: this version only exports metrics and writes nothing, so every replica serves the same metrics and no leadership is needed yet',
    );
  }
  logLines.flush();

  const signal = await (io.stopRequested ?? waitForTermination)();
  logger.log('info', 'stopping watcher', { signal });
  await watcher.close();
  logger.log('info', 'stopped');
  logLines.flush();
  process.off('exit', logLines.flush);
  return 0;
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 9090;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new UserError(`--metrics-port must be a port number (0-65535), got "${text}"`);
  }
  return port;
}

function parseLogLevel(text: string | undefined): LogLevel {
  if (text === undefined) return 'info';
  const level = LOG_LEVELS.find((candidate) => candidate === text);
  if (level === undefined) {
    throw new UserError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
  }
  return level;
}

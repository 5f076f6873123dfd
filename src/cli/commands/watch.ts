import type { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../../errors.js';
import { loadKubeConfig } from '../../kube/config.js';
import { defaultLeaderIdentity } from '../../kube/leader-election.js';
import { createJsonLogger, createLineBuffer, type Logger } from '../../server/log.js';
import { VERSION } from '../../version.js';
import { parseWatchConfig, WATCH_USAGE, type WatchConfig } from '../../watcher/config.js';
import { startWatcher, type Watcher, type WatcherOptions } from '../../watcher/watch.js';
import type { CliIo } from '../io.js';
import { loadPolicySet } from '../policies.js';
import { waitForTermination } from './serve.js';

/** How often scheduled runs are judged missed or not; a fraction of the 75 s default deadline. */
const TICK_INTERVAL_MS = 15_000;

/**
 * `cronguard watch`: the companion watcher. Serves until SIGTERM or SIGINT
 * (io.stopRequested in tests), then stops the writers (releasing the Lease), the
 * informers and the server, and returns 0.
 */
export async function watchCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const config = parseWatchConfig(argv, io.env, defaultLeaderIdentity(io.env));
  if (config === 'help') {
    io.stdout(WATCH_USAGE + '\n');
    return 0;
  }
  const loaded = loadKubeConfig({
    kubeconfigPath: config.kubeconfigPath,
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
  const logger = createJsonLogger(config.logLevel, logLines.write);
  const watcher = await startConfiguredWatcher(config, loaded.kubeConfig, logger);
  logger.log('info', 'cronguard watcher serving', {
    version: VERSION,
    cluster: loaded.description,
    namespaces: config.namespaces.length === 0 ? 'all' : config.namespaces.join(','),
    metrics: `http://${config.host}:${watcher.metricsPort}/metrics`,
    policySource: config.policyPaths.length === 0 ? 'built-in' : config.policyPaths.join(','),
    meshObjects: config.meshObjects,
    policyReports: config.policyReports,
    leaderElection:
      config.leaderElection === undefined
        ? 'off'
        : `${config.leaderElection.namespace}/${config.leaderElection.name} as ${config.leaderElection.identity}`,
  });
  logLines.flush();

  const signal = await (io.stopRequested ?? waitForTermination)();
  logger.log('info', 'stopping watcher', { signal });
  await watcher.close();
  logger.log('info', 'stopped');
  logLines.flush();
  process.off('exit', logLines.flush);
  return 0;
}

/** Loads the policies (a broken set fails here, before anything starts) and starts the watcher. */
export async function startConfiguredWatcher(
  config: WatchConfig,
  kubeConfig: KubeConfig,
  logger: Logger,
  shared: Pick<WatcherOptions, 'namespaceCache'> = {},
): Promise<Watcher> {
  const initial = await loadPolicySet(config.policyPaths);
  return startWatcher({
    kubeConfig,
    namespaces: config.namespaces,
    metricsPort: config.metricsPort,
    host: config.host,
    logger,
    tickIntervalMs: TICK_INTERVAL_MS,
    policies: {
      initial,
      // The built-in set ships with the binary and never changes: nothing to watch.
      ...(config.policyPaths.length === 0
        ? {}
        : {
            reload: {
              paths: config.policyPaths,
              load: loadPolicySet,
              pollIntervalMs: config.policyPollMs,
            },
          }),
    },
    meshReconcile: config.meshObjects,
    audit: config.policyReports,
    auditIntervalMs: config.auditIntervalMs,
    traffic: { apiVersion: config.istioApiVersion, clusterDomain: config.clusterDomain },
    ...(config.kubernetesVersion === undefined
      ? {}
      : { kubernetesVersion: config.kubernetesVersion }),
    ...(config.leaderElection === undefined ? {} : { leaderElection: config.leaderElection }),
    ...shared,
  });
}

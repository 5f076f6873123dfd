import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMISSION_V1 } from '../../admission/index.js';
import { parseServerConfig, SERVE_USAGE, type ServerConfig } from '../../server/config.js';
import { createJsonLogger, createLineBuffer } from '../../server/log.js';
import { startWebhookServer } from '../../server/server.js';
import { generateDevelopmentCertificates, loadCertificateFiles } from '../../server/tls.js';
import { loadKubeConfig } from '../../kube/config.js';
import { startNamespaceCache, type NamespaceCache } from '../../kube/namespace-cache.js';
import { fetchKubernetesVersion } from '../../kube/version.js';
import type { Logger } from '../../server/log.js';
import { VERSION } from '../../version.js';
import { parseWatchConfig } from '../../watcher/config.js';
import type { Watcher } from '../../watcher/watch.js';
import { startConfiguredWatcher } from './watch.js';
import { defaultLeaderIdentity } from '../../kube/leader-election.js';
import { UserError } from '../../errors.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { CliIo } from '../io.js';
import { loadPolicySet } from '../policies.js';

/**
 * `cronguard serve`: validates the configuration, loads policies and certificates
 * (everything that can be wrong fails here, before listening), serves until SIGTERM
 * or SIGINT, drains and returns 0.
 */
export async function serveCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const config = parseServerConfig(argv, io.env);
  if (config === 'help') {
    io.stdout(SERVE_USAGE + '\n');
    return 0;
  }
  const logLines = createLineBuffer(io.stdout);
  // A crash must not lose the lines that explain it.
  process.once('exit', logLines.flush);
  const logger = createJsonLogger(config.logLevel, logLines.write);
  const policySet = await loadPolicySet(config.policyPaths);
  const development = config.tls === undefined;
  const tls =
    config.tls === undefined
      ? await writeDevelopmentCertificate(config)
      : await loadCertificateFiles(config.tls.certPath, config.tls.keyPath);

  const cluster = await connectToCluster(config, logger);
  const watcher = await startInProcessWatcher(config, io, cluster, logger);

  const server = await startWebhookServer({
    host: config.host,
    port: config.port,
    metricsPort: config.metricsPort,
    tls,
    policySet,
    failureMode: config.failureMode,
    logger,
    drainTimeoutMs: config.drainTimeoutMs,
    // The built-in set ships with the binary and never changes: nothing to watch.
    policyReload:
      config.policyPaths.length === 0
        ? undefined
        : { paths: config.policyPaths, load: loadPolicySet, pollIntervalMs: config.policyPollMs },
    certificateReload:
      config.tls === undefined ? undefined : { ...config.tls, pollIntervalMs: config.tlsPollMs },
    namespaceLabels:
      cluster.namespaces === undefined
        ? undefined
        : (namespace: string) => cluster.namespaces?.labelsFor(namespace),
    cluster: () => cluster.facts,
  });
  logger.log('info', 'cronguard webhook serving', {
    version: VERSION,
    https: `${config.host}:${server.port}`,
    metrics: `http://${config.host}:${server.metricsPort}/metrics`,
    policies: policySet.policies.length,
    policySource: config.policyPaths.length === 0 ? 'built-in' : config.policyPaths.join(','),
    failureMode: config.failureMode,
  });
  logLines.flush();
  if (development) io.stdout(developmentBanner(config, server.port));

  const signal = await (io.stopRequested ?? waitForTermination)();
  logger.log('info', 'draining: readiness is false, finishing in-flight requests', { signal });
  await Promise.all([server.close(), cluster.namespaces?.stop(), watcher?.close()]);
  logger.log('info', 'stopped');
  logLines.flush();
  process.off('exit', logLines.flush);
  return 0;
}

/**
 * `serve --watch`: the companion watcher in the webhook's process, for small
 * clusters that want one Deployment. It reads the same policy paths, log level
 * and cluster settings; everything else comes from its environment variables.
 */
async function startInProcessWatcher(
  config: ServerConfig,
  io: CliIo,
  cluster: ClusterConnection,
  logger: Logger,
): Promise<Watcher | undefined> {
  if (config.watchMetricsPort === undefined) return undefined;
  const { kubeConfig, namespaces, facts } = cluster;
  if (kubeConfig === undefined) {
    throw new UserError('--watch needs cluster credentials and found none', [
      'pass --kubeconfig FILE, set KUBECONFIG, or run it in a pod with a service account',
    ]);
  }
  const flags = [
    ['--metrics-port', String(config.watchMetricsPort)],
    ['--host', config.host],
    ['--log-level', config.logLevel],
    ['--policy-poll-seconds', String(config.policyPollMs / 1000)],
    ...config.policyPaths.map((path) => ['--policies', path]),
    // The version the webhook uses: from its flag, or already asked from the API server.
    ...(facts.kubernetesVersion === undefined
      ? []
      : [['--kubernetes-version', facts.kubernetesVersion]]),
  ].flat();
  const watchConfig = parseWatchConfig(flags, io.env, defaultLeaderIdentity(io.env));
  if (watchConfig === 'help') return undefined;
  // One Namespace watch for the process: the webhook's cache serves the watcher too.
  const watcher = await startConfiguredWatcher(watchConfig, kubeConfig, logger, {
    ...(namespaces === undefined ? {} : { namespaceCache: namespaces }),
  });
  logger.log('info', 'companion watcher running in this process', {
    metrics: `http://${config.host}:${watcher.metricsPort}/metrics`,
  });
  return watcher;
}

/** How long start-up waits for the first Namespace list before serving anyway. */
const NAMESPACE_SYNC_WAIT_MS = 10_000;

interface ClusterConnection {
  kubeConfig: KubeConfig | undefined;
  namespaces: NamespaceCache | undefined;
  facts: { kubernetesVersion?: string | undefined };
}

/**
 * AdmissionReviews carry no namespace labels, so namespaceSelector policies need a
 * Namespace cache, and mesh policies want the Kubernetes version. Both come from
 * the cluster when credentials are found; without them the server still serves,
 * and says at start what that means.
 */
async function connectToCluster(config: ServerConfig, logger: Logger): Promise<ClusterConnection> {
  const facts: ClusterConnection['facts'] = { kubernetesVersion: config.kubernetesVersion };
  const loaded =
    config.cluster === 'off'
      ? { kubeConfig: undefined, reason: '--cluster off' }
      : loadKubeConfig({ kubeconfigPath: config.kubeconfigPath });
  if (loaded.kubeConfig === undefined) {
    logger.log(
      'warn',
      'namespace-label matching is off: policies with a namespaceSelector never match',
      {
        reason: loaded.reason,
        kubernetesVersion: facts.kubernetesVersion ?? 'unknown (use --kubernetes-version)',
      },
    );
    return { kubeConfig: undefined, namespaces: undefined, facts };
  }
  const { kubeConfig, description } = loaded;
  const namespaces = startNamespaceCache(kubeConfig, { logger });
  if (facts.kubernetesVersion === undefined) {
    try {
      facts.kubernetesVersion = await fetchKubernetesVersion(kubeConfig);
    } catch (error) {
      logger.log('warn', 'cannot read the Kubernetes version; mesh policies assume a recent one', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  // Readiness stays false (nothing listens) until the first list arrives, so a
  // fresh replica does not answer namespaceSelector policies wrongly; but a slow
  // API server must not keep the webhook down, hence the bound.
  const synced = await Promise.race([
    namespaces.whenSynced().then(() => true),
    new Promise<false>((resolve) => setTimeout(resolve, NAMESPACE_SYNC_WAIT_MS, false).unref()),
  ]);
  logger.log(
    synced ? 'info' : 'warn',
    synced ? 'watching Namespace labels' : 'serving before the first Namespace list arrived',
    {
      cluster: description,
      kubernetesVersion: facts.kubernetesVersion,
    },
  );
  return { kubeConfig, namespaces, facts };
}

interface ServingMaterial {
  cert: string;
  key: string;
}

/**
 * Generates a development CA and serving certificate, and writes the CA (never the
 * keys) and an example review to --dev-cert-dir so the printed curl command works.
 */
async function writeDevelopmentCertificate(config: ServerConfig): Promise<ServingMaterial> {
  const generated = generateDevelopmentCertificates({
    service: config.service,
    namespace: config.namespace,
  });
  await mkdir(config.devCertDir, { recursive: true });
  await writeFile(caPath(config), generated.caCert, 'utf8');
  await writeFile(reviewPath(config), JSON.stringify(exampleReview(), null, 2) + '\n', 'utf8');
  return { cert: generated.cert, key: generated.key };
}

function caPath(config: ServerConfig): string {
  return join(config.devCertDir, 'ca.crt');
}

function reviewPath(config: ServerConfig): string {
  return join(config.devCertDir, 'review.json');
}

function developmentBanner(config: ServerConfig, port: number): string {
  const serviceHost = `${config.service}.${config.namespace}.svc`;
  const address = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `
cronguard ${VERSION} admission webhook on https://${config.host}:${port} (development certificate)
  CA certificate: ${caPath(config)}
  example review: ${reviewPath(config)}

Try it:
  curl --cacert ${caPath(config)} --resolve ${serviceHost}:${port}:${address} -H 'Content-Type: application/json' --data @${reviewPath(config)} 'https://${serviceHost}:${port}/mutate?timeout=10s'

To see the JSON patch, append:
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(Buffer.from(JSON.parse(s).response.patch,"base64").toString()))'
Stop with Ctrl-C (SIGINT) or SIGTERM.

`;
}

/** A CronJob CREATE review as the API server sends it (defaults already filled in). */
function exampleReview(): unknown {
  return {
    apiVersion: ADMISSION_V1,
    kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
      kind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      resource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      requestKind: { group: 'batch', version: 'v1', kind: 'CronJob' },
      requestResource: { group: 'batch', version: 'v1', resource: 'cronjobs' },
      name: 'report',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'admin', groups: ['system:authenticated'] },
      object: {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report', namespace: 'default' },
        spec: {
          schedule: '*/5 * * * *',
          concurrencyPolicy: 'Allow',
          suspend: false,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          jobTemplate: {
            metadata: {},
            spec: {
              template: {
                metadata: {},
                spec: {
                  containers: [
                    {
                      name: 'report',
                      image: 'busybox:1.36',
                      command: ['sh', '-c', 'date'],
                      imagePullPolicy: 'IfNotPresent',
                      terminationMessagePath: '/dev/termination-log',
                      terminationMessagePolicy: 'File',
                      resources: {},
                    },
                  ],
                  restartPolicy: 'OnFailure',
                  dnsPolicy: 'ClusterFirst',
                  schedulerName: 'default-scheduler',
                  securityContext: {},
                  terminationGracePeriodSeconds: 30,
                },
              },
            },
          },
        },
      },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

/** Resolves with the first SIGTERM or SIGINT (long-running commands stop on either). */
export function waitForTermination(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

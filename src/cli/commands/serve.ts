import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMISSION_V1 } from '../../admission/index.js';
import { parseServerConfig, SERVE_USAGE, type ServerConfig } from '../../server/config.js';
import { createJsonLogger, createLineBuffer } from '../../server/log.js';
import { startWebhookServer } from '../../server/server.js';
import { generateDevelopmentCertificates, loadCertificateFiles } from '../../server/tls.js';
import { VERSION } from '../../version.js';
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
  });
  logger.log('info', 'cronguard webhook serving', {
    version: VERSION,
    https: `${config.host}:${server.port}`,
    metrics: `http://${config.host}:${server.metricsPort}/metrics`,
    policies: policySet.policies.length,
    policySource: config.policyPaths.length === 0 ? 'built-in' : config.policyPaths.join(','),
    failureMode: config.failureMode,
  });
  // No Kubernetes client yet: AdmissionReviews carry no namespace labels, so
  // policies with a namespaceSelector cannot match. Say so rather than surprise.
  logger.log(
    'warn',
    'namespace-label matching is off: no cluster credentials are used yet, so policies with a namespaceSelector never match',
  );
  logLines.flush();
  if (development) io.stdout(developmentBanner(config, server.port));

  const signal = await waitForTermination();
  logger.log('info', 'draining: readiness is false, finishing in-flight requests', { signal });
  await server.close();
  logger.log('info', 'stopped');
  logLines.flush();
  process.off('exit', logLines.flush);
  return 0;
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

function waitForTermination(): Promise<string> {
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

import { X509Certificate } from 'node:crypto';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { UserError } from '../../errors.js';
import { issueCaAndServingCertificate, loadCertificateFiles } from '../../server/tls.js';
import type { CliIo } from '../io.js';

export const CERTS_USAGE = `Usage: cronguard certs --out DIR [options]

Generates a private CA and a serving certificate for the webhook Service, and writes
to DIR:
  ca.crt                       the CA certificate
  tls.crt, tls.key             the serving certificate and its key (mode 0600), valid for
                               NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local
  secret.yaml                  Secret cronguard-tls (kubernetes.io/tls) in NS (mode 0600)
  webhook-configurations.yaml  the webhook configurations with caBundle set to the CA
  kustomization.yaml           an overlay of the webhook configurations' directory that
                               adds the two files above: kubectl apply -k DIR
  .gitignore                   ignores everything in DIR: it holds a private key
The CA's own key is not written anywhere: to renew, run again with --force and re-apply;
the caBundle then trusts the previous CA too, until it expires.

Options:
  --out DIR                output directory (created if missing)
  --service NAME           webhook Service name (default cronguard)
  --namespace NS           its namespace (default cronguard-system)
  --days N                 validity in days, 1 to 3650 (default 365)
  --webhook-config FILE    webhook configurations (or patches of them) to copy with the
                           CA filled in, repeatable (default
                           manifests/overlays/self-managed/webhook-ca-bundle.yaml)
  --force                  replace existing ca.crt, tls.crt and tls.key in DIR`;

export const DEFAULT_WEBHOOK_CONFIG = 'manifests/overlays/self-managed/webhook-ca-bundle.yaml';
export const TLS_SECRET_NAME = 'cronguard-tls';

const WEBHOOK_CONFIGURATION_KINDS: ReadonlySet<string> = new Set([
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
]);
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Backdate notBefore so an API server whose clock is slightly behind accepts the cert. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface WebhookCertificateOptions {
  service: string;
  namespace: string;
  days: number;
  /** Validity start; tests may pin it. */
  now: Date;
}

/** PEM-encoded CA certificate, and the serving certificate and key it signed. */
export interface WebhookCertificates {
  caCert: string;
  cert: string;
  key: string;
}

/** The names the API server may use for the Service: it dials `<svc>.<ns>.svc`. */
export function webhookServiceHosts(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/**
 * Issues a one-off CA and a serving certificate for the in-cluster Service. Unlike
 * server/tls.ts's development certificate, this one is for clusters: no localhost
 * SANs, a chosen validity, and the CA key is discarded once the certificate is signed,
 * so it can never issue anything else.
 */
export function issueWebhookCertificates(options: WebhookCertificateOptions): WebhookCertificates {
  const issued = issueCaAndServingCertificate({
    caName: `cronguard CA (${options.service}.${options.namespace})`,
    commonName: `${options.service}.${options.namespace}.svc`,
    hosts: webhookServiceHosts(options.service, options.namespace),
    notBefore: new Date(options.now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(options.now.getTime() + options.days * DAY_MS),
  });
  // The CA key is dropped here: the CA can never issue anything else.
  return { caCert: issued.caCert, cert: issued.cert, key: issued.key };
}

/**
 * Sets `clientConfig.caBundle` of every webhook in every webhook configuration among
 * `documents` (whole objects or strategic-merge patches of them). Other documents are
 * returned unchanged; a webhook configuration without webhooks is an error, since
 * nothing would trust the CA.
 */
export function withCaBundle(documents: readonly unknown[], caCertPem: string): unknown[] {
  const caBundle = Buffer.from(caCertPem, 'utf8').toString('base64');
  return documents.map((document) => {
    if (!isRecord(document) || !WEBHOOK_CONFIGURATION_KINDS.has(String(document.kind))) {
      return document;
    }
    const name = isRecord(document.metadata) ? String(document.metadata.name) : '(unnamed)';
    const webhooks = document.webhooks;
    if (!Array.isArray(webhooks) || webhooks.length === 0) {
      throw new UserError(`${String(document.kind)} ${name} has no webhooks to set caBundle on`);
    }
    return {
      ...document,
      webhooks: webhooks.map((webhook: unknown) => {
        if (!isRecord(webhook)) {
          throw new UserError(`${String(document.kind)} ${name} has a webhook that is not a map`);
        }
        const clientConfig = isRecord(webhook.clientConfig) ? webhook.clientConfig : {};
        return { ...webhook, clientConfig: { ...clientConfig, caBundle } };
      }),
    };
  });
}

/** A kubernetes.io/tls Secret, with ca.crt as cert-manager writes it too. */
export function tlsSecret(namespace: string, certificates: WebhookCertificates): unknown {
  const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: TLS_SECRET_NAME,
      namespace,
      labels: { 'app.kubernetes.io/name': 'cronguard', 'app.kubernetes.io/part-of': 'cronguard' },
    },
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': encode(certificates.cert),
      'tls.key': encode(certificates.key),
      'ca.crt': encode(certificates.caCert),
    },
  };
}

interface CertsOptions {
  out: string;
  service: string;
  namespace: string;
  days: number;
  webhookConfigs: string[];
  force: boolean;
}

/** `cronguard certs`: see CERTS_USAGE. */
export async function certsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseCertsArgs(argv);
  if (options === 'help') {
    io.stdout(CERTS_USAGE + '\n');
    return 0;
  }
  // Read every input before writing anything, so a wrong path leaves DIR untouched.
  const inputs = await readWebhookConfigs(options.webhookConfigs);
  const overlayBases = await kustomizationDirectories(options.webhookConfigs);
  const outDir = resolve(options.out);
  const pemPaths = ['ca.crt', 'tls.crt', 'tls.key'].map((name) => join(outDir, name));
  if (!options.force) {
    for (const path of pemPaths) {
      if (await exists(path)) {
        throw new UserError(
          `${path} exists; not replacing certificates or keys without --force (the running webhook may be using them)`,
        );
      }
    }
  }

  const certificates = issueWebhookCertificates({
    service: options.service,
    namespace: options.namespace,
    days: options.days,
    now: io.now(),
  });
  // On renewal, trust the previous CA too until its certificate expires: replicas keep
  // serving the old certificate until the kubelet refreshes the mounted Secret.
  const previousCa = options.force ? await unexpiredCertificate(pemPaths[0] ?? '', io.now()) : '';
  const patched = withCaBundle(inputs, certificates.caCert + previousCa);
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, '.gitignore'), '# Holds a private key: never commit.\n*\n');
  await writeSecretFile(join(outDir, 'ca.crt'), certificates.caCert, 0o644);
  await writeSecretFile(join(outDir, 'tls.crt'), certificates.cert, 0o644);
  await writeSecretFile(join(outDir, 'tls.key'), certificates.key, 0o600);
  await writeSecretFile(
    join(outDir, 'secret.yaml'),
    dumpYaml([tlsSecret(options.namespace, certificates)]),
    0o600,
  );
  await writeFile(join(outDir, 'webhook-configurations.yaml'), dumpYaml(patched));
  await writeFile(join(outDir, 'kustomization.yaml'), kustomization(outDir, overlayBases));
  // Fails loudly if what was written does not load the way `cronguard serve` loads it.
  await loadCertificateFiles(pemPaths[1] ?? '', pemPaths[2] ?? '');

  const hosts = webhookServiceHosts(options.service, options.namespace).join(', ');
  io.stdout(
    `Wrote a CA and a serving certificate for ${hosts}, valid ${options.days} days, to ${outDir}.\n` +
      `Install or update cronguard with them:\n  kubectl apply -k ${options.out}\n`,
  );
  return 0;
}

function parseCertsArgs(argv: readonly string[]): CertsOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      service: { type: 'string' },
      namespace: { type: 'string' },
      days: { type: 'string' },
      'webhook-config': { type: 'string', multiple: true },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (positionals.length > 0) {
    throw new UserError(`certs takes no positional arguments, got "${positionals.join(' ')}"`);
  }
  if (values.out === undefined || values.out === '') {
    throw new UserError(`certs needs --out DIR\n\n${CERTS_USAGE}`);
  }
  const service = values.service ?? 'cronguard';
  const namespace = values.namespace ?? 'cronguard-system';
  for (const [flag, value] of [
    ['--service', service],
    ['--namespace', namespace],
  ] as const) {
    if (!DNS_LABEL.test(value) || value.length > 63) {
      throw new UserError(
        `${flag} must be a DNS label (lowercase letters, digits and '-', at most 63 characters), got "${value}"`,
      );
    }
  }
  const daysText = values.days ?? '365';
  const days = /^\d+$/.test(daysText) ? Number(daysText) : Number.NaN;
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new UserError(`--days must be an integer from 1 to 3650, got "${daysText}"`);
  }
  return {
    out: values.out,
    service,
    namespace,
    days,
    webhookConfigs: values['webhook-config'] ?? [DEFAULT_WEBHOOK_CONFIG],
    force: values.force === true,
  };
}

async function readWebhookConfigs(paths: readonly string[]): Promise<unknown[]> {
  const documents: unknown[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const hint =
        path === DEFAULT_WEBHOOK_CONFIG
          ? ' (run from a checkout of cronguard, or pass --webhook-config FILE)'
          : '';
      throw new UserError(`cannot read --webhook-config ${path}: ${messageOf(error)}${hint}`);
    }
    let parsed: unknown[];
    try {
      parsed = yaml.loadAll(text).filter((document) => document !== null && document !== undefined);
    } catch (error) {
      throw new UserError(`--webhook-config ${path} is not YAML: ${messageOf(error)}`);
    }
    const configurations = parsed.filter(
      (document) => isRecord(document) && WEBHOOK_CONFIGURATION_KINDS.has(String(document.kind)),
    );
    if (configurations.length === 0) {
      throw new UserError(
        `--webhook-config ${path} holds no MutatingWebhookConfiguration or ValidatingWebhookConfiguration`,
      );
    }
    documents.push(...configurations);
  }
  return documents;
}

/**
 * Directories of the inputs that are kustomizations. If they all are, the inputs are
 * patches of those overlays (as the self-managed overlay's file is) and DIR becomes an
 * overlay on top of them; if none is, the inputs are whole objects and DIR lists them.
 */
async function kustomizationDirectories(paths: readonly string[]): Promise<string[]> {
  const directories = [...new Set(paths.map((path) => dirname(resolve(path))))];
  const isKustomization = await Promise.all(
    directories.map(async (directory) => {
      for (const name of KUSTOMIZATION_FILES) {
        if (await exists(join(directory, name))) return true;
      }
      return false;
    }),
  );
  if (isKustomization.every(Boolean)) return directories;
  if (!isKustomization.some(Boolean)) return [];
  throw new UserError(
    '--webhook-config files must all come from kustomization directories (as patches) or none may (whole objects)',
  );
}

function kustomization(outDir: string, overlayBases: readonly string[]): string {
  const base = overlayBases.map((directory) => relative(outDir, directory).split(sep).join('/'));
  const document =
    base.length > 0
      ? {
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: [...base, 'secret.yaml'],
          patches: [{ path: 'webhook-configurations.yaml' }],
        }
      : {
          apiVersion: 'kustomize.config.k8s.io/v1beta1',
          kind: 'Kustomization',
          resources: ['secret.yaml', 'webhook-configurations.yaml'],
        };
  return (
    '# Written by `cronguard certs`: the serving certificate Secret and the caBundle that\n' +
    '# trusts it. Apply with `kubectl apply -k` on this directory.\n' +
    dumpYaml([document])
  );
}

/** Creates the file afresh so `mode` applies even when replacing an existing one. */
async function writeSecretFile(path: string, text: string, mode: number): Promise<void> {
  await rm(path, { force: true });
  await writeFile(path, text, { mode, flag: 'wx' });
}

function dumpYaml(documents: readonly unknown[]): string {
  // lineWidth -1: never fold base64 strings.
  return documents.map((document) => yaml.dump(document, { lineWidth: -1 })).join('---\n');
}

/** The PEM at `path` if it is a certificate still valid at `now`, else ''. */
async function unexpiredCertificate(path: string, now: Date): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    return Date.parse(new X509Certificate(pem).validTo) > now.getTime() ? pem : '';
  } catch {
    return '';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

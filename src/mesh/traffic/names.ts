/**
 * Hosts and object names for generated VirtualServices and DestinationRules.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** DNS-1123 subdomain as Kubernetes defines it (lowercase, dot-separated labels, <= 253). */
const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
const DNS_LABEL_ONLY = new RegExp(`^${DNS_LABEL}$`);

export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS_LABEL_ONLY.test(text);
}

export function isDnsSubdomain(text: string): boolean {
  return text.length <= 253 && DNS_SUBDOMAIN.test(text);
}

export type HostResult = { ok: true; host: string } | { ok: false; error: string };

/**
 * The fully qualified host a destination means, seen from `namespace`:
 *
 * - `name` -> `name.<namespace>.svc.<domain>` (a Service in the CronJob's namespace);
 * - `name.ns` -> `name.ns.svc.<domain>` (the form kubectl users write);
 * - `name.ns.svc` -> `name.ns.svc.<domain>`;
 * - anything longer is kept: a cluster FQDN or an external host (ServiceEntry).
 *
 * Istio itself expands only dot-free short names, and against the namespace of
 * the *rule*, which is exactly what makes short names in hand-written rules a
 * trap; writing the FQDN removes the guesswork. An external host with only two
 * labels (`example.com`) would read as `name.ns`, so it is written as an
 * absolute DNS name with a trailing dot (`example.com.`), which is kept as is
 * (without the dot).
 */
export function normalizeHost(
  raw: string,
  namespace: string,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): HostResult {
  const host = raw.trim();
  if (host === '') return { ok: false, error: 'the host is empty' };
  if (host.includes('*'))
    return {
      ok: false,
      error: `host ${JSON.stringify(host)} has a wildcard; name the one service the CronJob calls`,
    };
  if (host.endsWith('.')) return checked(host.slice(0, -1), raw);
  const labels = host.split('.');
  if (labels.length === 1) return checked(`${host}.${namespace}.svc.${clusterDomain}`, raw);
  if (labels.length === 2) return checked(`${host}.svc.${clusterDomain}`, raw);
  if (labels.length === 3 && labels[2] === 'svc') return checked(`${host}.${clusterDomain}`, raw);
  return checked(host, raw);
}

function checked(host: string, raw: string): HostResult {
  if (isDnsSubdomain(host)) return { ok: true, host };
  return {
    ok: false,
    error: `host ${JSON.stringify(raw.trim())} is not a DNS name (lowercase letters, digits, '-' and '.', at most 253 characters)`,
  };
}

/** Short readable form of a host for names and labels: `payments.prod.svc.cluster.local` -> `payments-prod`. */
export function shortHost(host: string, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  const clusterSuffix = `.svc.${clusterDomain}`;
  const base = host.endsWith(clusterSuffix) ? host.slice(0, -clusterSuffix.length) : host;
  return base.replaceAll('.', '-');
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * `<prefix>-<readable>-<hash>`, a DNS-1123 label of at most 63 characters. The
 * hash of `identity` is always appended because the readable part is not
 * unique: Service `a-b` in namespace `c` and Service `a` in namespace `b-c`
 * both read `a-b-c`, and two objects with one name in one namespace would
 * silently replace each other on apply.
 */
export function objectName(readableParts: readonly string[], identity: string): string {
  const hash = shortHash(identity);
  const budget = 63 - hash.length - 1;
  let readable = readableParts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-');
  if (readable.length > budget) readable = readable.slice(0, budget);
  readable = readable.replace(/[^a-z0-9]+$/, '');
  return `${readable}-${hash}`;
}

/**
 * A label value naming a host: the host itself when it fits (a DNS subdomain
 * is a valid label value up to 63 characters), else a cut with a hash suffix.
 */
export function hostLabelValue(host: string): string {
  if (host.length <= 63) return host;
  const hash = shortHash(host);
  const cut = host.slice(0, 63 - hash.length - 1).replace(/[^a-z0-9]+$/, '');
  return `${cut}-${hash}`;
}

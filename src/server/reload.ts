import { createHash, X509Certificate } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { Server as HttpsServer } from 'node:https';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import { readPolicyDirectories } from '../policy/index.js';
import type { PolicySet } from '../policy/types.js';
import { fingerprintFiles, messageOf, watchForChanges, type ChangeWatch } from './file-watch.js';
import type { Logger } from './log.js';
import type { WebhookMetrics } from './metrics.js';
import { loadCertificateFiles } from './tls.js';

/** The API server speaks TLS 1.2+; older versions are refused at handshake. */
export const MIN_TLS_VERSION = 'TLSv1.2';

export interface PolicyReloadOptions {
  /** The policy directories or files the running set was loaded from. */
  paths: readonly string[];
  /** Loads the whole set, throwing (a UserError with located details) on any error. */
  load: (paths: readonly string[]) => Promise<PolicySet>;
  pollIntervalMs: number;
  debounceMs?: number;
}

export interface CertificateReloadOptions {
  certPath: string;
  keyPath: string;
  pollIntervalMs: number;
  debounceMs?: number;
}

/** Where a policy reload's outcome goes: the webhook's state, the watcher's engine. */
export interface PolicySetSink {
  /** A changed set that loaded completely; takes effect with this call. */
  accept(policySet: PolicySet): void;
  /** A changed set that did not load; the caller keeps the last good one. */
  refuse(error: unknown): void;
}

/**
 * Watches the policy paths and hands each set that loads to `sink.accept` (the
 * webhook swaps it into its state with one assignment: a request reads
 * `state.policySet` once when it starts, so it keeps the set it started with). A
 * set that does not load is refused as a whole and the last good one stays in
 * force (readiness is unaffected).
 */
export async function watchPolicies(
  options: PolicyReloadOptions,
  sink: PolicySetSink,
  logger: Logger,
): Promise<ChangeWatch> {
  const reload = async (): Promise<void> => {
    let policySet: PolicySet;
    try {
      policySet = await options.load(options.paths);
    } catch (error) {
      sink.refuse(error);
      logger.log('error', 'changed policy set refused; the last good set stays in force', {
        error: messageOf(error),
        // file:line:column: message, one per problem, so the log points at the fix.
        details: error instanceof UserError ? error.details.join('\n') : undefined,
      });
      return;
    }
    sink.accept(policySet);
    logger.log('info', 'policy set reloaded', {
      policies: policySet.policies.length,
      versions: policySet.policies.map((policy) => `${policy.name}@${policy.version}`).join(','),
    });
  };
  return watchForChanges({
    subject: 'policies',
    directories: await Promise.all(options.paths.map(watchedDirectoryOf)),
    pollIntervalMs: options.pollIntervalMs,
    debounceMs: options.debounceMs,
    fingerprint: () => fingerprintPolicies(options.paths),
    onChange: reload,
    logger,
  });
}

/**
 * Watches the serving certificate and key and installs each valid pair with
 * setSecureContext: new handshakes get the new certificate, established
 * connections keep theirs, nothing restarts. A pair that does not load or does
 * not match is refused and the old certificate keeps being served.
 */
export function watchCertificate(
  options: CertificateReloadOptions,
  https: HttpsServer,
  metrics: WebhookMetrics,
  logger: Logger,
): Promise<ChangeWatch> {
  // The change check and the load read the files at different moments, so one
  // rotation can be seen twice (first as a half-written pair); the pair already
  // installed is not installed, counted or logged again.
  let installed: string | undefined;
  const reload = async (): Promise<void> => {
    let notAfter: Date;
    let serial: string;
    try {
      const { cert, key } = await loadCertificateFiles(options.certPath, options.keyPath);
      const pair = createHash('sha256').update(cert).update('\u0000').update(key).digest('hex');
      if (pair === installed) return;
      const certificate = new X509Certificate(cert);
      https.setSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
      installed = pair;
      notAfter = new Date(certificate.validTo);
      serial = certificate.serialNumber;
    } catch (error) {
      metrics.certificateReloadErrors.inc();
      logger.log('error', 'changed certificate refused; the previous one is still served', {
        error: messageOf(error),
      });
      return;
    }
    metrics.certificateReloads.inc();
    metrics.certificateExpiry.set(notAfter.getTime() / 1000);
    logger.log('info', 'serving certificate reloaded', {
      serial,
      notAfter: notAfter.toISOString(),
    });
  };
  const files = [options.certPath, options.keyPath];
  return watchForChanges({
    subject: 'certificate',
    directories: files.map((file) => dirname(file)),
    pollIntervalMs: options.pollIntervalMs,
    debounceMs: options.debounceMs,
    fingerprint: () => fingerprintFiles(files),
    onChange: reload,
    logger,
  });
}

/** notAfter of the first certificate in a PEM chain, in seconds since the epoch. */
export function certificateExpirySeconds(certPem: string): number {
  return new Date(new X509Certificate(certPem).validTo).getTime() / 1000;
}

/**
 * A policy path is usually a directory (a ConfigMap mount); for a single file, or
 * a path that does not exist yet, its parent is watched, since the file may be
 * replaced by a rename.
 */
async function watchedDirectoryOf(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info?.isDirectory() === true ? path : dirname(path);
}

/** Reads the policy files exactly as loading does, so both see the same files. */
async function fingerprintPolicies(paths: readonly string[]): Promise<string> {
  const read = await readPolicyDirectories(paths);
  const hash = createHash('sha256');
  for (const source of read.sources) hash.update(`${source.file}\0${source.text}\0`);
  for (const error of read.errors) hash.update(`${error.file}\0${error.message}\0`);
  return hash.digest('hex');
}

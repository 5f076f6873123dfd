import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDevelopmentCertificates, loadCertificateFiles } from '../../src/server/tls.js';
import { testCertificates } from './support.js';

describe('generateDevelopmentCertificates', () => {
  it('issues a serving certificate for loopback and every form of the service name', () => {
    const { cert, caCert } = testCertificates();
    const serving = new X509Certificate(cert);
    const ca = new X509Certificate(caCert);
    expect(serving.checkIssued(ca)).toBe(true);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(ca.ca).toBe(true);
    expect(serving.ca).toBe(false);
    for (const host of [
      'localhost',
      'cronguard',
      'cronguard.cronguard-system',
      'cronguard.cronguard-system.svc',
      'cronguard.cronguard-system.svc.cluster.local',
    ]) {
      expect(serving.checkHost(host), host).toBe(host);
    }
    expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serving.checkHost('evil.example.com')).toBeUndefined();
    expect(serving.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
  });

  it('is valid for about a year, starting slightly in the past', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const { cert } = generateDevelopmentCertificates({ service: 's', namespace: 'n', now });
    const serving = new X509Certificate(cert);
    expect(new Date(serving.validFrom).getTime()).toBeLessThan(now.getTime());
    const days = (new Date(serving.validTo).getTime() - now.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(365, 0);
  });
});

describe('loadCertificateFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cronguard-tls-'));
  const { cert, key } = testCertificates();
  const other = generateDevelopmentCertificates({ service: 'x', namespace: 'y' });
  writeFileSync(join(dir, 'tls.crt'), cert);
  writeFileSync(join(dir, 'tls.key'), key);
  writeFileSync(join(dir, 'other.key'), other.key);
  writeFileSync(join(dir, 'garbage.crt'), 'not a certificate');

  it('reads a matching certificate and key', async () => {
    const loaded = await loadCertificateFiles(join(dir, 'tls.crt'), join(dir, 'tls.key'));
    expect(loaded).toEqual({ cert, key });
  });

  it('names the missing file', async () => {
    await expect(
      loadCertificateFiles(join(dir, 'missing.crt'), join(dir, 'tls.key')),
    ).rejects.toThrow(/cannot read --tls-cert .*missing\.crt/);
  });

  it('refuses a key that does not belong to the certificate', async () => {
    await expect(
      loadCertificateFiles(join(dir, 'tls.crt'), join(dir, 'other.key')),
    ).rejects.toThrow(/does not match the certificate/);
  });

  it('refuses a file that is not a certificate', async () => {
    await expect(
      loadCertificateFiles(join(dir, 'garbage.crt'), join(dir, 'tls.key')),
    ).rejects.toThrow(/is not a PEM certificate/);
  });

  it('refuses a key file that is not a key', async () => {
    await expect(
      loadCertificateFiles(join(dir, 'tls.crt'), join(dir, 'garbage.crt')),
    ).rejects.toThrow(/is not a PEM private key/);
  });
});

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import yaml from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { at, HAS_KUBECTL, findObject, renderKustomization, REPO } from './render.js';

// test/support/cli.ts pins the clock here.
const NOW = new Date('2026-11-24T12:00:00Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const OVERLAY_PATCH = join(REPO, 'manifests/overlays/self-managed/webhook-ca-bundle.yaml');

let directory: string;
let out: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cronguard-certs-'));
  out = join(directory, 'out');
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function generate(...extra: string[]) {
  return cli(['certs', '--out', out, '--webhook-config', OVERLAY_PATCH, ...extra]);
}

async function readOut(name: string): Promise<string> {
  return readFile(join(out, name), 'utf8');
}

describe('cronguard certs', () => {
  it('issues a serving certificate for every name of the Service, signed by ca.crt', async () => {
    const result = await generate('--service', 'guard', '--namespace', 'policy', '--days', '30');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const ca = new X509Certificate(await readOut('ca.crt'));
    const cert = new X509Certificate(await readOut('tls.crt'));
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(
      [
        'DNS:guard',
        'DNS:guard.policy',
        'DNS:guard.policy.svc',
        'DNS:guard.policy.svc.cluster.local',
      ].sort(),
    );
    expect(cert.checkHost('guard.policy.svc')).toBe('guard.policy.svc');
    expect(cert.checkHost('localhost')).toBeUndefined();
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(ca.ca).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(await readOut('tls.key')))).toBe(true);
    expect(Date.parse(cert.validTo)).toBe(Math.floor((NOW.getTime() + 30 * DAY_MS) / 1000) * 1000);
    expect(Date.parse(cert.validFrom)).toBeLessThan(NOW.getTime());
  });

  it('writes keys readable by the owner only, and a .gitignore that ignores everything', async () => {
    expect((await generate()).code).toBe(0);
    expect((await stat(join(out, 'tls.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(out, 'secret.yaml'))).mode & 0o777).toBe(0o600);
    expect((await readOut('.gitignore')).split('\n')).toContain('*');
  });

  it('writes Secret cronguard-tls and fills caBundle with the CA in every webhook', async () => {
    expect((await generate('--namespace', 'policy')).code).toBe(0);
    const caBundle = Buffer.from(await readOut('ca.crt')).toString('base64');
    const secret = yaml.load(await readOut('secret.yaml'));
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'cronguard-tls', namespace: 'policy' },
    });
    expect(at(secret, 'data', 'tls.crt')).toBe(
      Buffer.from(await readOut('tls.crt')).toString('base64'),
    );
    expect(at(secret, 'data', 'tls.key')).toBe(
      Buffer.from(await readOut('tls.key')).toString('base64'),
    );
    expect(at(secret, 'data', 'ca.crt')).toBe(caBundle);

    const configurations = yaml.loadAll(await readOut('webhook-configurations.yaml'));
    expect(configurations.map((document) => at(document, 'kind'))).toEqual([
      'MutatingWebhookConfiguration',
      'ValidatingWebhookConfiguration',
    ]);
    for (const configuration of configurations) {
      for (const webhook of at(configuration, 'webhooks') as unknown[]) {
        expect(at(webhook, 'clientConfig', 'caBundle')).toBe(caBundle);
      }
    }
  });

  it('a client trusting only ca.crt completes a TLS handshake as the API server would', async () => {
    expect((await generate()).code).toBe(0);
    const server = createServer(
      { cert: await readOut('tls.crt'), key: await readOut('tls.key') },
      (socket) => socket.end('ok'),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const socket = connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        servername: 'cronguard.cronguard-system.svc',
        ca: await readOut('ca.crt'),
      });
      await once(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      socket.destroy();
    } finally {
      server.close();
    }
  });

  it('refuses to replace existing keys unless --force', async () => {
    expect((await generate()).code).toBe(0);
    const key = await readOut('tls.key');
    const refused = await generate();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect(await readOut('tls.key')).toBe(key);

    const previousCa = await readOut('ca.crt');
    expect((await generate('--force')).code).toBe(0);
    expect(await readOut('tls.key')).not.toBe(key);
    expect((await stat(join(out, 'tls.key'))).mode & 0o777).toBe(0o600);
    // Replicas still serving the old certificate stay trusted during the rollover.
    const configurations = yaml.loadAll(await readOut('webhook-configurations.yaml'));
    const bundle = Buffer.from(
      at(configurations[0], 'webhooks', 0, 'clientConfig', 'caBundle') as string,
      'base64',
    ).toString('utf8');
    expect(bundle).toBe((await readOut('ca.crt')) + previousCa);
  });

  it.each([
    [['--days', '0'], '--days'],
    [['--service', 'Not_A_Label'], '--service'],
    [['--webhook-config', join(REPO, 'package.json')], 'holds no'],
  ])('rejects %j', async (extra, message) => {
    const result = await generate(...extra);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it('needs --out', async () => {
    const result = await cli(['certs']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out');
  });

  it.skipIf(!HAS_KUBECTL)(
    'DIR renders with kubectl kustomize: self-managed overlay plus Secret and real caBundle',
    async () => {
      expect((await generate()).code).toBe(0);
      const objects = renderKustomization(out);
      const caBundle = Buffer.from(await readOut('ca.crt')).toString('base64');
      expect(at(findObject(objects, 'Secret', 'cronguard-tls'), 'type')).toBe('kubernetes.io/tls');
      findObject(objects, 'Deployment', 'cronguard-webhook');
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const webhooks = at(findObject(objects, kind, 'cronguard'), 'webhooks') as unknown[];
        expect(webhooks).toHaveLength(1);
        expect(at(webhooks[0], 'clientConfig', 'caBundle')).toBe(caBundle);
        expect(at(webhooks[0], 'clientConfig', 'service', 'name')).toBe('cronguard');
      }
    },
  );
});

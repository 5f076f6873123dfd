import { createServer, connect, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultLeaderIdentity,
  startLeaderElection,
  type LeaderElection,
  type LeaderElectionOptions,
} from '../../src/kube/leader-election.js';
import type { KubeLogger } from '../../src/kube/log.js';
import { SettableWriteGate } from '../../src/watcher/leadership.js';
import {
  FakeKubeApiServer,
  type KubeObject,
  type RecordedRequest,
} from '../support/fake-kube-apiserver.js';
import { eventually, namespace } from './support.js';

const LEASE_NAME = 'cronguard-watcher';
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
/** Short enough for quick tests, with the gaps client-go requires between the three. */
const FAST = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2 };

let server: FakeKubeApiServer;
let namespaceCounter = 0;
const running: LeaderElection[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  server = await FakeKubeApiServer.start();
});

afterAll(async () => {
  await server.close();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((election) => election.stop()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface LogLine {
  level: string;
  message: string;
  fields: Readonly<Record<string, string | number | boolean | undefined>>;
}

interface Candidate {
  identity: string;
  gate: SettableWriteGate;
  election: LeaderElection;
  logs: LogLine[];
}

function freshNamespace(): string {
  namespaceCounter += 1;
  const name = `election-${namespaceCounter}`;
  server.create(namespace(name));
  return name;
}

function candidate(
  identity: string,
  ns: string,
  options: Partial<LeaderElectionOptions> = {},
): Candidate {
  const gate = new SettableWriteGate();
  const logs: LogLine[] = [];
  const logger: KubeLogger = {
    log: (level, message, fields = {}) => logs.push({ level, message, fields }),
  };
  const election = startLeaderElection({
    kubeConfig: server.kubeConfig(),
    namespace: ns,
    name: LEASE_NAME,
    identity,
    gate,
    logger,
    ...FAST,
    ...options,
  });
  running.push(election);
  return { identity, gate, election, logs };
}

/**
 * Records every gate change in order and the most gates ever open at once; also
 * samples the gates on a timer, as a writer polling isLeader() would.
 */
function monitorLeaders(candidates: Candidate[]): {
  transitions: string[];
  maxLeaders: () => number;
} {
  const transitions: string[] = [];
  let maxLeaders = 0;
  const count = () => candidates.filter((each) => each.gate.isLeader()).length;
  for (const each of candidates) {
    each.gate.onChange((leading) => {
      transitions.push(`${each.identity}:${leading ? 'leader' : 'follower'}`);
      maxLeaders = Math.max(maxLeaders, count());
    });
  }
  const sampler = setInterval(() => {
    maxLeaders = Math.max(maxLeaders, count());
  }, 5);
  cleanups.push(() => {
    clearInterval(sampler);
  });
  return { transitions, maxLeaders: () => maxLeaders };
}

function storedLease(ns: string): KubeObject | undefined {
  return server.get({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: ns,
    name: LEASE_NAME,
  });
}

function leaseSpec(lease: KubeObject | undefined): Record<string, unknown> {
  return (lease?.spec ?? {}) as Record<string, unknown>;
}

/** The Lease bodies POSTed or PUT in a namespace, oldest first. */
function leaseWrites(ns: string): { request: RecordedRequest; spec: Record<string, unknown> }[] {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
  return server.requests
    .filter(
      (request) =>
        (request.method === 'POST' && request.path === collection) ||
        (request.method === 'PUT' && request.path === `${collection}/${LEASE_NAME}`),
    )
    .map((request) => ({
      request,
      spec: (JSON.parse(request.body) as { spec: Record<string, unknown> }).spec,
    }));
}

function leaseReads(ns: string): number {
  const path = `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${LEASE_NAME}`;
  return server.requests.filter((request) => request.method === 'GET' && request.path === path)
    .length;
}

/**
 * A TCP proxy to the fake server that can be cut: existing connections are destroyed
 * and new ones are accepted but never answered, like a network partition.
 */
class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private partitioned = false;

  private constructor(private readonly server: Server) {}

  static async start(target: string): Promise<CuttableProxy> {
    const { hostname, port } = new URL(target);
    const proxy: CuttableProxy = new CuttableProxy(
      createServer((client) => {
        proxy.track(client);
        if (proxy.partitioned) return;
        const upstream = proxy.track(connect(Number(port), hostname));
        client.pipe(upstream).pipe(client);
      }),
    );
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy not listening');
    return `https://127.0.0.1:${address.port}`;
  }

  cut(): void {
    this.partitioned = true;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    return socket;
  }
}

describe('startLeaderElection', () => {
  it('elects exactly one of two candidates and writes MicroTime with six fractional digits', async () => {
    const ns = freshNamespace();
    const a = candidate('a', ns);
    const b = candidate('b', ns);
    const monitor = monitorLeaders([a, b]);
    await eventually(() => a.gate.isLeader() || b.gate.isLeader());
    const [leader, follower] = a.gate.isLeader() ? [a, b] : [b, a];
    // Several renewals, and several reads by the follower that must not take over.
    await eventually(() => leaseWrites(ns).length >= 6 && leaseReads(ns) >= 12);

    expect(monitor.maxLeaders()).toBe(1);
    expect(leader.election.isLeader()).toBe(true);
    expect(follower.election.isLeader()).toBe(false);
    expect(follower.election.holder()).toBe(leader.identity);
    const spec = leaseSpec(storedLease(ns));
    expect(spec).toMatchObject({
      holderIdentity: leader.identity,
      leaseDurationSeconds: 2,
      leaseTransitions: 0,
    });
    // Both may have found no Lease and raced to create it (the loser got 409); every
    // PUT since is a renewal by the leader.
    const allWrites = leaseWrites(ns);
    const creates = allWrites.filter((write) => write.request.method === 'POST');
    expect(creates.length).toBeGreaterThanOrEqual(1);
    expect(creates.length).toBeLessThanOrEqual(2);
    const renewals = allWrites.filter((write) => write.request.method === 'PUT');
    expect(renewals.map((write) => write.spec.holderIdentity)).toEqual(
      renewals.map(() => leader.identity),
    );
    const writes = allWrites.filter((write) => write.spec.holderIdentity === leader.identity);
    for (const { request, spec: written } of allWrites) {
      expect(written.renewTime).toMatch(MICRO_TIME);
      expect(written.acquireTime).toMatch(MICRO_TIME);
      expect(request.query.fieldManager).toBe('cronguard');
    }
    // Renewals move renewTime but keep the acquireTime of the first write.
    expect(new Set(writes.map((write) => write.spec.acquireTime)).size).toBe(1);
    expect(new Set(writes.map((write) => write.spec.renewTime)).size).toBe(writes.length);
    expect(leader.logs).toContainEqual({
      level: 'info',
      message: 'became leader',
      fields: expect.objectContaining({ identity: leader.identity }) as unknown,
    });
  });

  it('hands over at once when the leader stops, long before the lease would expire', async () => {
    const ns = freshNamespace();
    // A 30 s lease: the follower can only lead within the test's timeout if it was released.
    const slow = { leaseDurationSeconds: 30, renewDeadlineSeconds: 20, retryPeriodSeconds: 0.2 };
    const a = candidate('a', ns, slow);
    await eventually(() => a.gate.isLeader());
    const b = candidate('b', ns, slow);
    const monitor = monitorLeaders([a, b]);
    await eventually(() => b.election.holder() === 'a');

    await a.election.stop();
    expect(a.gate.isLeader()).toBe(false);
    expect(a.election.isLeader()).toBe(false);
    const release = leaseWrites(ns).at(-1);
    expect(release?.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1 });
    expect(release?.spec.renewTime).toMatch(MICRO_TIME);

    await eventually(() => b.gate.isLeader(), { timeoutMs: 10_000 });
    expect(monitor.transitions).toEqual(['a:follower', 'b:leader']);
    expect(monitor.maxLeaders()).toBe(1);
    expect(leaseSpec(storedLease(ns))).toMatchObject({
      holderIdentity: 'b',
      leaseDurationSeconds: 30,
      leaseTransitions: 1,
    });
    expect(a.logs.map((line) => line.message)).toContain('released the lease');
  });

  it('steps down when it cannot renew, before the other candidate may take over', async () => {
    const ns = freshNamespace();
    const proxy = await CuttableProxy.start(server.url);
    cleanups.push(() => proxy.close());
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(server.kubeconfigYaml().replace(server.url, proxy.url));
    const a = candidate('a', ns, { kubeConfig: viaProxy });
    await eventually(() => a.gate.isLeader());
    const b = candidate('b', ns);
    const monitor = monitorLeaders([a, b]);
    await eventually(() => b.election.holder() === 'a');

    proxy.cut();
    await eventually(() => b.gate.isLeader());

    expect(monitor.transitions).toEqual(['a:follower', 'b:leader']);
    expect(monitor.maxLeaders()).toBe(1);
    const lost = a.logs.find((line) => line.message === 'lost leadership');
    expect(lost?.level).toBe('info');
    expect(lost?.fields.identity).toBe('a');
    expect(String(lost?.fields.reason)).toMatch(/could not renew/);
    // b judged the expiry from when it last saw a's record change: its takeover is
    // stamped at least a full lease duration after a's last renewal that reached the server.
    const writes = leaseWrites(ns);
    const lastRenewalOfA = writes.filter((write) => write.spec.holderIdentity === 'a').at(-1);
    const takeover = writes.find((write) => write.spec.holderIdentity === 'b');
    expect(
      Date.parse(String(takeover?.spec.renewTime)) -
        Date.parse(String(lastRenewalOfA?.spec.renewTime)),
    ).toBeGreaterThanOrEqual(FAST.leaseDurationSeconds * 1000);
    expect(leaseSpec(storedLease(ns))).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('never takes a lease whose foreign holder keeps renewing, however old its timestamps', async () => {
    const ns = freshNamespace();
    // Timestamps from another node with a badly skewed clock: only their changes count.
    let renewals = 0;
    const foreignSpec = () => ({
      holderIdentity: 'foreign',
      leaseDurationSeconds: 1,
      acquireTime: '2001-01-01T00:00:00.000000Z',
      renewTime: `2001-01-01T00:00:00.${String(renewals).padStart(6, '0')}Z`,
      leaseTransitions: 4,
    });
    const leaseObject = () => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: LEASE_NAME, namespace: ns },
      spec: foreignSpec(),
    });
    server.create(leaseObject());
    const renewer = setInterval(() => {
      renewals += 1;
      server.update(leaseObject());
    }, 150);
    cleanups.push(() => {
      clearInterval(renewer);
    });

    const c = candidate('c', ns);
    const monitor = monitorLeaders([c]);
    const readsBefore = leaseReads(ns);
    // Well over the 1 s lease duration of reads while the holder renews.
    await eventually(() => leaseReads(ns) - readsBefore >= 10);
    expect(monitor.maxLeaders()).toBe(0);
    expect(c.election.holder()).toBe('foreign');
    expect(leaseWrites(ns)).toEqual([]);

    clearInterval(renewer);
    await eventually(() => c.gate.isLeader());
    expect(leaseSpec(storedLease(ns))).toMatchObject({
      holderIdentity: 'c',
      leaseDurationSeconds: 2,
      leaseTransitions: 5,
    });
    const observed = c.logs.find((line) => line.message === 'observed a new leader');
    expect(observed?.fields.holder).toBe('foreign');
  });

  it('refuses timings that would let two candidates lead at once', () => {
    const gate = new SettableWriteGate();
    const base = {
      kubeConfig: server.kubeConfig(),
      namespace: 'default',
      name: LEASE_NAME,
      identity: 'x',
      gate,
      logger: { log: () => undefined },
    };
    expect(() =>
      startLeaderElection({ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10 }),
    ).toThrow(RangeError);
    expect(() =>
      startLeaderElection({ ...base, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 }),
    ).toThrow(RangeError);
  });
});

describe('defaultLeaderIdentity', () => {
  it('is the pod name when POD_NAME is set', () => {
    expect(defaultLeaderIdentity({ POD_NAME: 'cronguard-7d9f-abcde' }, 'node-1', 'x')).toBe(
      'cronguard-7d9f-abcde',
    );
  });

  it('is the hostname with a random suffix otherwise', () => {
    expect(defaultLeaderIdentity({ POD_NAME: ' ' }, 'laptop', '1a2b')).toBe('laptop_1a2b');
    const first = defaultLeaderIdentity({}, 'laptop');
    const second = defaultLeaderIdentity({}, 'laptop');
    expect(first).toMatch(/^laptop_[0-9a-f]{8}$/);
    expect(second).not.toBe(first);
  });
});

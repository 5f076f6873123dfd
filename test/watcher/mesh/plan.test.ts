import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/k8s/types.js';
import { generateTraffic, type TrafficCronJob } from '../../../src/mesh/traffic/index.js';
import { planNamespace, type MeshAction } from '../../../src/watcher/mesh/plan.js';

const NS = 'batch';
const LEDGER = 'ledger.batch.svc.cluster.local';

function cronJob(name: string, hosts: string[], uid = `uid-${name}`): TrafficCronJob {
  return {
    object: { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: NS, uid } },
    destinations: hosts.map((host) => ({ host, idempotent: false })),
  };
}

function desired(...cronJobs: TrafficCronJob[]): KubeObject[] {
  return generateTraffic(cronJobs).objects;
}

/** What the informer would show after the server stored `objects` (server-set metadata added). */
function live(objects: readonly KubeObject[]): KubeObject[] {
  return objects.map((object, index) => ({
    ...structuredClone(object),
    metadata: {
      ...structuredClone(object.metadata),
      uid: `live-${String(index)}`,
      resourceVersion: String(100 + index),
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
  }));
}

function summary(actions: readonly MeshAction[]): string[] {
  return actions.map((action) => {
    switch (action.type) {
      case 'apply':
        return `apply ${String(action.object.kind)}/${action.object.metadata?.name ?? ''} force=${String(action.force)} ${action.why}`;
      case 'delete':
        return `delete ${action.kind}/${action.name} uid=${action.uid ?? '-'}`;
      case 'conflict':
        return `conflict ${String(action.object.kind)}/${action.object.metadata?.name ?? ''} ${action.reason} ${action.foreign.name}`;
    }
  });
}

function plan(want: readonly KubeObject[], have: readonly KubeObject[]): MeshAction[] {
  return planNamespace({ namespace: NS, desired: want, observed: have });
}

function foreign(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind,
    metadata: { name, namespace: NS, uid: `foreign-${name}`, labels: { app: 'ledger' } },
    spec,
  };
}

describe('planNamespace', () => {
  it('creates without force what is missing when a CronJob is added', () => {
    const want = desired(cronJob('report', ['ledger']));
    const actions = plan(want, []);
    expect(summary(actions)).toEqual([
      `apply VirtualService/${String(want[0]?.metadata?.name)} force=false missing`,
      `apply DestinationRule/${String(want[1]?.metadata?.name)} force=false missing`,
    ]);
    expect(actions[0]).toMatchObject({ type: 'apply', object: want[0] });
  });

  it('plans nothing when the live objects match, so a resync writes nothing', () => {
    const want = desired(cronJob('report', ['ledger', 'payments.prod']));
    const have = live(want).map((object) => ({
      ...object,
      // Labels and annotations other tools add are not drift.
      metadata: {
        ...object.metadata,
        labels: { ...object.metadata?.labels, team: 'batch' },
        annotations: { ...object.metadata?.annotations, 'kubectl.kubernetes.io/x': 'y' },
      },
    }));
    expect(plan(want, have)).toEqual([]);
  });

  it('deletes, with a uid precondition, the objects of a destination that was removed', () => {
    const before = live(desired(cronJob('report', ['ledger', 'payments.prod'])));
    const want = desired(cronJob('report', ['ledger']));
    const removed = before.filter(
      (object) => !want.some((kept) => kept.metadata?.name === object.metadata?.name),
    );
    expect(removed).toHaveLength(2);
    expect(summary(plan(want, before))).toEqual(
      removed
        .map(
          (object) =>
            `delete ${String(object.kind)}/${String(object.metadata?.name)} uid=${String(object.metadata?.uid)}`,
        )
        .sort((a, b) => a.localeCompare(b)),
    );
  });

  it('aggregates a second CronJob on the same host into the one VirtualService, owned by both', () => {
    const before = live(desired(cronJob('report', ['ledger'])));
    const want = desired(cronJob('report', ['ledger']), cronJob('export', ['ledger']));
    const actions = plan(want, before);
    const virtualService = want.find((object) => object.kind === 'VirtualService');
    expect(virtualService?.spec).toMatchObject({
      hosts: [LEDGER],
      http: [{ name: 'cronjob-export' }, { name: 'cronjob-report' }, { name: 'default' }],
    });
    expect(virtualService?.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'CronJob', name: 'export', uid: 'uid-export' }),
      expect.objectContaining({ kind: 'CronJob', name: 'report', uid: 'uid-report' }),
    ]);
    expect(summary(actions)).toEqual([
      `apply VirtualService/${String(virtualService?.metadata?.name)} force=true drifted`,
      expect.stringMatching(
        /^apply DestinationRule\/cronguard-export-ledger-batch-\w+ force=false missing$/,
      ),
    ]);
  });

  it('keeps the shared objects, now owned by the survivor only, when one of two CronJobs is deleted', () => {
    const before = live(desired(cronJob('report', ['ledger']), cronJob('export', ['ledger'])));
    const want = desired(cronJob('report', ['ledger']));
    const actions = plan(want, before);
    const exportRule = before.find(
      (object) => object.metadata?.labels?.['cronguard.dev/cronjob'] === 'export',
    );
    expect(summary(actions)).toEqual([
      `apply VirtualService/${String(want[0]?.metadata?.name)} force=true drifted`,
      `delete DestinationRule/${String(exportRule?.metadata?.name)} uid=${String(exportRule?.metadata?.uid)}`,
    ]);
    const apply = actions[0];
    expect(apply?.type === 'apply' && apply.object.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ name: 'report', uid: 'uid-report' }),
    ]);
  });

  it('deletes everything managed when the last CronJob is gone, and nothing foreign', () => {
    const before = [
      ...live(desired(cronJob('report', ['ledger']))),
      foreign('VirtualService', 'other-service', { hosts: ['other'] }),
    ];
    expect(summary(plan([], before))).toEqual([
      expect.stringMatching(/^delete DestinationRule\/cronguard-report-ledger/),
      expect.stringMatching(/^delete VirtualService\/cronguard-ledger/),
    ]);
  });

  it('reports a conflict and writes nothing over a foreign object that has our name', () => {
    const want = desired(cronJob('report', ['ledger']));
    const name = String(want[1]?.metadata?.name);
    const squatter = foreign('DestinationRule', name, { host: 'somewhere-else' });
    const actions = plan(want, [squatter]);
    expect(summary(actions)).toEqual([
      `conflict DestinationRule/${name} name-taken ${name}`,
      `apply VirtualService/${String(want[0]?.metadata?.name)} force=false missing`,
    ]);
    const conflict = actions[0];
    expect(conflict?.type === 'conflict' && conflict.message).toContain(
      `DestinationRule batch/${name} exists and is not managed by cronguard`,
    );
  });

  it('does not write a VirtualService for a host a foreign VirtualService already routes', () => {
    const want = desired(cronJob('report', ['ledger']));
    const owner = foreign('VirtualService', 'ledger', { hosts: ['ledger'], http: [] });
    const actions = plan(want, [owner]);
    expect(summary(actions)).toEqual([
      `conflict VirtualService/${String(want[0]?.metadata?.name)} host-routed ledger`,
      `apply DestinationRule/${String(want[1]?.metadata?.name)} force=false missing`,
    ]);
  });

  it('deletes its own VirtualService once a foreign one routes the host, so they do not fight', () => {
    const before = live(desired(cronJob('report', ['ledger'])));
    const owner = foreign('VirtualService', 'ledger', { hosts: [LEDGER] });
    const want = desired(cronJob('report', ['ledger']));
    expect(summary(plan(want, [...before, owner]))).toEqual([
      `conflict VirtualService/${String(want[0]?.metadata?.name)} host-routed ledger`,
      `delete VirtualService/${String(want[0]?.metadata?.name)} uid=live-0`,
    ]);
  });

  it('ignores foreign VirtualServices that only gateways use or that are not exported here', () => {
    const want = desired(cronJob('report', ['ledger']));
    const gatewayOnly = foreign('VirtualService', 'ingress', {
      hosts: [LEDGER],
      gateways: ['istio-system/public'],
    });
    const elsewhere = foreign('VirtualService', 'other-ns', {
      hosts: [LEDGER],
      exportTo: ['frontend'],
    });
    expect(plan(want, [gatewayOnly, elsewhere]).map((action) => action.type)).toEqual([
      'apply',
      'apply',
    ]);
  });

  it('treats a foreign VirtualService bound to the mesh gateway as routing the host', () => {
    const want = desired(cronJob('report', ['ledger']));
    const mesh = foreign('VirtualService', 'both', {
      hosts: ['ledger.batch'],
      gateways: ['mesh', 'gw'],
    });
    expect(plan(want, [mesh])[0]).toMatchObject({ type: 'conflict', reason: 'host-routed' });
  });

  it('lets a foreign namespace-wide DestinationRule with its own trafficPolicy be', () => {
    const want = desired(cronJob('report', ['ledger']));
    const owner = foreign('DestinationRule', 'ledger', {
      host: LEDGER,
      trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } },
    });
    const otherPods = foreign('DestinationRule', 'ledger-web', {
      host: LEDGER,
      workloadSelector: { matchLabels: { app: 'web' } },
    });
    expect(plan(want, [owner, otherPods]).map((action) => action.type)).toEqual(['apply', 'apply']);
  });

  it('conflicts with a foreign DestinationRule that istiod would merge with ours', () => {
    const want = desired(cronJob('report', ['ledger']));
    const ruleName = String(want[1]?.metadata?.name);
    const bare = foreign('DestinationRule', 'ledger-subsets', {
      host: LEDGER,
      subsets: [{ name: 'v1', labels: { version: 'v1' } }],
    });
    const samePods = foreign('DestinationRule', 'report-pool', {
      host: 'ledger',
      workloadSelector: { matchLabels: { 'cronguard.dev/cronjob': 'report' } },
      trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } },
    });
    for (const other of [bare, samePods]) {
      expect(summary(plan(want, [other]))).toEqual([
        `conflict DestinationRule/${ruleName} destination-rule-merged ${String(other.metadata?.name)}`,
        `apply VirtualService/${String(want[0]?.metadata?.name)} force=false missing`,
      ]);
    }
  });

  it('re-applies with force when someone edits our spec, labels or owners', () => {
    const want = desired(cronJob('report', ['ledger']));
    const edits: ((object: KubeObject) => void)[] = [
      (object) => {
        (object.spec as { http: unknown[] }).http = [];
      },
      (object) => {
        delete object.metadata?.labels?.['cronguard.dev/host'];
      },
      (object) => {
        if (object.metadata !== undefined) object.metadata.ownerReferences = [];
      },
      (object) => {
        if (object.metadata?.annotations !== undefined)
          object.metadata.annotations['cronguard.dev/cronjobs'] = 'someone';
      },
    ];
    for (const edit of edits) {
      const have = live(want);
      const first = have[0];
      if (first !== undefined) edit(first);
      expect(summary(plan(want, have))).toEqual([
        `apply VirtualService/${String(want[0]?.metadata?.name)} force=true drifted`,
      ]);
    }
  });

  it('puts back an object someone deleted, with force=false like any create', () => {
    const want = desired(cronJob('report', ['ledger']));
    const have = live(want).slice(0, 1);
    expect(summary(plan(want, have))).toEqual([
      `apply DestinationRule/${String(want[1]?.metadata?.name)} force=false missing`,
    ]);
  });

  it('looks only at the given namespace', () => {
    const want = desired(cronJob('report', ['ledger']));
    const elsewhere = live(want).map((object) => ({
      ...object,
      metadata: { ...object.metadata, namespace: 'other' },
    }));
    expect(planNamespace({ namespace: 'other', desired: [], observed: elsewhere })).toHaveLength(2);
    expect(planNamespace({ namespace: NS, desired: [], observed: elsewhere })).toEqual([]);
  });
});

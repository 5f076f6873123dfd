/**
 * Istio's pod-relevant annotations and labels, as data: facts transcribed from
 * the istio/api registry (annotation/annotations.yaml, label/labels.yaml; the
 * generated annotations.gen.go carries the same fields), limited to the
 * prefixes that configure the sidecar. The registry has no value types; those
 * are ours (ISTIO_VALUE_TYPES in validate.ts) and attached here.
 *
 * Entries newer than the registry snapshot we could read (nativeSidecar, the
 * stats* annotations added around 1.19–1.21, excludeInterfaces) come from the
 * istio.io annotation reference and release notes. An Istio release may add
 * names we do not list yet; the unknown-name finding can be exempted per
 * object until the table catches up.
 */
import type { IstioProxyResources, IstioTrafficCapture } from '../types.js';
import { suggestKey } from '../names.js';
import { ISTIO_VALUE_TYPES, type IstioValueType } from './validate.js';

export type FeatureStatus = 'Alpha' | 'Beta' | 'Stable';

export interface IstioKey {
  name: string;
  /** Absent where the registry gives none. */
  featureStatus?: FeatureStatus;
  deprecated: boolean;
  /** What to use instead, when Istio names a successor. */
  replacement?: string;
  hidden: boolean;
  resources: readonly string[];
  /** Our value type; 'text' when we do not check the value. */
  valueType: IstioValueType;
}

/** Prefixes whose annotations configure the injected sidecar; anything under them should be known. */
export const ISTIO_ANNOTATION_PREFIXES: readonly string[] = [
  'sidecar.istio.io/',
  'proxy.istio.io/',
  'traffic.sidecar.istio.io/',
  'status.sidecar.istio.io/',
  'readiness.status.sidecar.istio.io/',
  'inject.istio.io/',
];

type Row = Omit<IstioKey, 'valueType' | 'deprecated' | 'hidden' | 'resources'> &
  Partial<Pick<IstioKey, 'deprecated' | 'hidden' | 'resources'>>;

const POD = ['Pod'] as const;

function entry(row: Row): IstioKey {
  return {
    deprecated: false,
    hidden: false,
    resources: POD,
    ...row,
    valueType: ISTIO_VALUE_TYPES.get(row.name) ?? 'text',
  };
}

const ANNOTATION_ROWS: readonly Row[] = [
  {
    name: 'sidecar.istio.io/inject',
    featureStatus: 'Beta',
    deprecated: true,
    replacement: 'the label sidecar.istio.io/inject',
  },
  { name: 'sidecar.istio.io/nativeSidecar', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/status', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/rewriteAppHTTPProbers', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/controlPlaneAuthPolicy', featureStatus: 'Alpha', deprecated: true },
  {
    name: 'sidecar.istio.io/discoveryAddress',
    featureStatus: 'Alpha',
    deprecated: true,
    replacement: 'discoveryAddress in proxy.istio.io/config',
  },
  { name: 'sidecar.istio.io/proxyImage', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/proxyImageType', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/proxyCPU', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/proxyCPULimit', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/proxyMemory', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/proxyMemoryLimit' },
  { name: 'sidecar.istio.io/interceptionMode', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/bootstrapOverride', featureStatus: 'Alpha' },
  {
    name: 'sidecar.istio.io/statsInclusionPrefixes',
    featureStatus: 'Alpha',
    deprecated: true,
    replacement: 'proxyStatsMatcher in proxy.istio.io/config',
  },
  {
    name: 'sidecar.istio.io/statsInclusionSuffixes',
    featureStatus: 'Alpha',
    deprecated: true,
    replacement: 'proxyStatsMatcher in proxy.istio.io/config',
  },
  {
    name: 'sidecar.istio.io/statsInclusionRegexps',
    featureStatus: 'Alpha',
    deprecated: true,
    replacement: 'proxyStatsMatcher in proxy.istio.io/config',
  },
  { name: 'sidecar.istio.io/statsHistogramBuckets', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/statsCompression', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/statsFlushInterval', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/extraStatTags', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/userVolume', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/userVolumeMount' },
  { name: 'sidecar.istio.io/enableCoreDump', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/logLevel', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/componentLogLevel', featureStatus: 'Alpha' },
  { name: 'sidecar.istio.io/agentLogLevel', featureStatus: 'Alpha' },
  { name: 'status.sidecar.istio.io/port', featureStatus: 'Alpha' },
  { name: 'readiness.status.sidecar.istio.io/initialDelaySeconds', featureStatus: 'Alpha' },
  { name: 'readiness.status.sidecar.istio.io/periodSeconds', featureStatus: 'Alpha' },
  { name: 'readiness.status.sidecar.istio.io/failureThreshold', featureStatus: 'Alpha' },
  { name: 'readiness.status.sidecar.istio.io/applicationPorts', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/includeOutboundIPRanges', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/excludeOutboundIPRanges', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/includeInboundPorts' },
  { name: 'traffic.sidecar.istio.io/excludeInboundPorts', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/includeOutboundPorts', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/excludeOutboundPorts', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/excludeInterfaces', featureStatus: 'Alpha' },
  { name: 'traffic.sidecar.istio.io/kubevirtInterfaces', featureStatus: 'Alpha' },
  { name: 'proxy.istio.io/config', featureStatus: 'Beta' },
  { name: 'proxy.istio.io/overrides', featureStatus: 'Alpha', hidden: true },
  { name: 'inject.istio.io/templates', featureStatus: 'Alpha' },
];

const LABEL_ROWS: readonly Row[] = [
  { name: 'sidecar.istio.io/inject', featureStatus: 'Beta' },
  { name: 'istio.io/rev', featureStatus: 'Beta', resources: ['Namespace', 'Pod'] },
];

export const ISTIO_ANNOTATIONS: ReadonlyMap<string, IstioKey> = new Map(
  ANNOTATION_ROWS.map((row) => [row.name, entry(row)]),
);

export const ISTIO_LABELS: ReadonlyMap<string, IstioKey> = new Map(
  LABEL_ROWS.map((row) => [row.name, entry(row)]),
);

export function lookupIstioAnnotation(name: string): IstioKey | undefined {
  return ISTIO_ANNOTATIONS.get(name);
}

export function lookupIstioLabel(name: string): IstioKey | undefined {
  return ISTIO_LABELS.get(name);
}

/** Whether `key` is under one of the sidecar-configuring prefixes. */
export function hasIstioPrefix(key: string): boolean {
  return ISTIO_ANNOTATION_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** The known annotation an unknown `name` most likely meant. */
export function suggestIstioAnnotation(name: string): string | undefined {
  return suggestKey(name, ISTIO_ANNOTATIONS.keys());
}

/** Where each `mesh.istio.proxy` setting of a policy is written on the pod template. */
export const PROXY_RESOURCE_ANNOTATIONS: Readonly<Record<keyof IstioProxyResources, string>> = {
  cpu: 'sidecar.istio.io/proxyCPU',
  memory: 'sidecar.istio.io/proxyMemory',
  cpuLimit: 'sidecar.istio.io/proxyCPULimit',
  memoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
};

/** Where each `mesh.istio.traffic` (capture) setting of a policy is written. */
export const TRAFFIC_CAPTURE_ANNOTATIONS: Readonly<Record<keyof IstioTrafficCapture, string>> = {
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
};

import {
  PROXY_RESOURCE_ANNOTATIONS,
  TRAFFIC_CAPTURE_ANNOTATIONS,
} from '../../mesh/istio/annotations.js';
import type { RuleContext } from '../../engine/context.js';
import { compareQuantities, parseQuantity } from '../../k8s/quantity.js';
import { validateIstioAnnotationValue } from '../../mesh/istio/validate.js';
import { validateLinkerdAnnotationValue } from '../../mesh/linkerd/validate.js';
import type { IstioTrafficCapture } from '../../mesh/types.js';
import type { Rule } from '../rule.js';
import { applyProxyConfig, reportProxyConfig } from './proxy-config.js';
import {
  annotationPath,
  fieldName,
  hasSidecar,
  LINKERD_GRACE_PERIOD_ANNOTATION,
  meshOf,
  reportPlanned,
  resolveDataplane,
  templateAnnotation,
  writePlanned,
  type PlannedValue,
} from './shared.js';

const RULE_ID = 'mesh-proxy-settings';

/**
 * The limit cronguard fills in when a policy sets only a proxy request: Istio
 * otherwise leaves the limit unlimited (istio.io sidecar-injection docs). The
 * larger of the request and a modest ceiling for one short-lived client proxy
 * (service-mesh.md §6.6): a limit equal to a small request would throttle
 * Envoy's start, and a limit below the request would get the pod rejected.
 */
export const DERIVED_PROXY_LIMITS = { cpu: '500m', memory: '256Mi' } as const;

function istioPlanned(
  context: RuleContext,
  annotation: string,
  value: string,
  why: string,
): PlannedValue {
  return {
    path: annotationPath(context, annotation),
    value,
    why,
    problem: validateIstioAnnotationValue(annotation, value),
  };
}

function largerQuantity(a: string, b: string): string {
  return compareQuantities(a, b) === 1 ? a : b;
}

/**
 * Istio annotations from the policy. The derived limits depend on the request
 * in force (the author's, in default mode), so they are planned after the
 * requests are written: `phase` says which.
 */
function istioValues(context: RuleContext, phase: 'requests' | 'limits'): PlannedValue[] {
  const istio = meshOf(context).istio;
  if (istio === undefined) return [];
  const planned: PlannedValue[] = [];
  const proxy = istio.proxy ?? {};
  if (phase === 'requests') {
    for (const key of ['cpu', 'memory', 'cpuLimit', 'memoryLimit'] as const) {
      const value = proxy[key];
      if (value !== undefined)
        planned.push(
          istioPlanned(context, PROXY_RESOURCE_ANNOTATIONS[key], value, `mesh.istio.proxy.${key}`),
        );
    }
    for (const [key, annotation] of Object.entries(TRAFFIC_CAPTURE_ANNOTATIONS)) {
      const value = istio.traffic?.[key as keyof IstioTrafficCapture];
      if (value !== undefined)
        planned.push(istioPlanned(context, annotation, value, `mesh.istio.traffic.${key}`));
    }
    return planned;
  }
  for (const [request, limit] of [
    ['cpu', 'cpuLimit'],
    ['memory', 'memoryLimit'],
  ] as const) {
    if (proxy[request] === undefined || proxy[limit] !== undefined) continue;
    const resource = request;
    const inForce =
      templateAnnotation(context, PROXY_RESOURCE_ANNOTATIONS[request]) ?? proxy[request];
    const base = parseQuantity(inForce) === undefined ? proxy[request] : inForce;
    planned.push(
      istioPlanned(
        context,
        PROXY_RESOURCE_ANNOTATIONS[limit],
        largerQuantity(base, DERIVED_PROXY_LIMITS[resource]),
        `mesh.istio.proxy.${request} is set without a limit, and Istio would leave the proxy's ${resource} unlimited`,
      ),
    );
  }
  return planned;
}

function linkerdValues(context: RuleContext): PlannedValue[] {
  const grace = meshOf(context).linkerd?.shutdownGracePeriod;
  if (grace === undefined) return [];
  return [
    {
      path: annotationPath(context, LINKERD_GRACE_PERIOD_ANNOTATION),
      value: grace,
      why: 'mesh.linkerd.shutdownGracePeriod',
      problem: validateLinkerdAnnotationValue(LINKERD_GRACE_PERIOD_ANNOTATION, grace),
    },
  ];
}

function meshedWith(context: RuleContext): 'istio' | 'linkerd' | undefined {
  const resolution = resolveDataplane(context);
  const dataplane = resolution.dataplane;
  if (dataplane !== 'istio' && dataplane !== 'linkerd') return undefined;
  return hasSidecar(context, resolution) ? dataplane : undefined;
}

/** Request above limit after all writes (the author's limit kept in default mode): the API server rejects the pod. */
function reportRequestAboveLimit(context: RuleContext): void {
  for (const [request, limit] of [
    ['cpu', 'cpuLimit'],
    ['memory', 'memoryLimit'],
  ] as const) {
    const requestValue = templateAnnotation(context, PROXY_RESOURCE_ANNOTATIONS[request]);
    const limitValue = templateAnnotation(context, PROXY_RESOURCE_ANNOTATIONS[limit]);
    if (requestValue === undefined || limitValue === undefined) continue;
    if (parseQuantity(requestValue) === undefined || parseQuantity(limitValue) === undefined)
      continue;
    if (compareQuantities(requestValue, limitValue) !== 1) continue;
    const path = annotationPath(context, PROXY_RESOURCE_ANNOTATIONS[limit]);
    context.report({
      path,
      message: `the proxy's ${request} request ${requestValue} is above its limit ${limitValue}; the API server rejects such a pod`,
      fix: `raise ${fieldName(path)} to at least ${requestValue}`,
    });
  }
}

export const meshProxySettings: Rule = {
  id: RULE_ID,
  section: 'mesh',
  title: 'Mesh proxy settings',
  description:
    "Writes the policy's proxy settings onto meshed job pods: Istio proxy resources (a request without a limit gets a limit, since Istio would leave it unlimited), traffic-capture annotations and ProxyConfig fields merged into proxy.istio.io/config; Linkerd's shutdown grace period. Every value is checked the way the mesh's injector checks it before it is written.",
  kinds: ['CronJob', 'Job'],
  enabled: (spec) =>
    spec.mesh !== undefined &&
    (spec.mesh.istio?.proxy !== undefined ||
      spec.mesh.istio?.traffic !== undefined ||
      spec.mesh.istio?.proxyConfig !== undefined ||
      spec.mesh.linkerd?.shutdownGracePeriod !== undefined),
  mutate(context) {
    const mesh = meshedWith(context);
    if (mesh === 'linkerd') {
      for (const planned of linkerdValues(context)) writePlanned(context, planned);
      return;
    }
    if (mesh !== 'istio') return;
    for (const planned of istioValues(context, 'requests')) writePlanned(context, planned);
    for (const planned of istioValues(context, 'limits')) writePlanned(context, planned);
    const proxyConfig = meshOf(context).istio?.proxyConfig;
    if (proxyConfig !== undefined && meshOf(context).apply !== 'validate')
      applyProxyConfig(context, proxyConfig, 'mesh.istio.proxyConfig');
  },
  validate(context) {
    const mesh = meshedWith(context);
    if (mesh === 'linkerd') {
      for (const planned of linkerdValues(context)) reportPlanned(context, planned);
      return;
    }
    if (mesh !== 'istio') return;
    for (const planned of istioValues(context, 'requests')) reportPlanned(context, planned);
    for (const planned of istioValues(context, 'limits')) reportPlanned(context, planned);
    const proxyConfig = meshOf(context).istio?.proxyConfig;
    if (proxyConfig !== undefined)
      reportProxyConfig(context, proxyConfig, 'mesh.istio.proxyConfig');
    reportRequestAboveLimit(context);
  },
};

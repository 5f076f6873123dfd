import type { RuleContext } from '../../engine/context.js';
import { isPlainObject } from '../../k8s/types.js';
import type { MeshSection } from '../../mesh/types.js';
import { pointerToFieldPath, toPointer, type PointerSegment } from '../../util/json-pointer.js';

export const ISTIO_INJECT_LABEL = 'sidecar.istio.io/inject';
export const ISTIO_REV_LABEL = 'istio.io/rev';
export const ISTIO_INJECTION_NAMESPACE_LABEL = 'istio-injection';
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const ISTIO_NATIVE_SIDECAR_ANNOTATION = 'sidecar.istio.io/nativeSidecar';
export const PROXY_CONFIG_ANNOTATION = 'proxy.istio.io/config';
export const STATUS_PORT_ANNOTATION = 'status.sidecar.istio.io/port';
export const DEFAULT_ISTIO_STATUS_PORT = 15020;
export const LINKERD_INJECT_ANNOTATION = 'linkerd.io/inject';
export const LINKERD_ADMIN_SHUTDOWN_ANNOTATION = 'config.linkerd.io/proxy-admin-shutdown';
export const LINKERD_GRACE_PERIOD_ANNOTATION = 'config.linkerd.io/shutdown-grace-period';

/** The proxy containers the meshes inject; never an "app container" to wrap. */
export const PROXY_CONTAINER_NAMES: ReadonlySet<string> = new Set(['istio-proxy', 'linkerd-proxy']);

/** The enabled() of every mesh rule guarantees the section; this narrows the type. */
export function meshOf(context: RuleContext): MeshSection {
  const mesh = context.policy.spec.mesh;
  if (mesh === undefined) throw new Error(`${context.rule.id} runs only with a mesh section`);
  return mesh;
}

export function labelPath(context: RuleContext, key: string): PointerSegment[] {
  return [...context.paths.podTemplate, 'metadata', 'labels', key];
}

export function annotationPath(context: RuleContext, key: string): PointerSegment[] {
  return [...context.paths.podTemplate, 'metadata', 'annotations', key];
}

function readMap(context: RuleContext, field: 'labels' | 'annotations'): Record<string, unknown> {
  const value = context.read([...context.paths.podTemplate, 'metadata', field]);
  return isPlainObject(value) ? value : {};
}

export function templateLabel(context: RuleContext, key: string): string | undefined {
  const value = readMap(context, 'labels')[key];
  return typeof value === 'string' ? value : undefined;
}

export function templateAnnotation(context: RuleContext, key: string): string | undefined {
  const value = readMap(context, 'annotations')[key];
  return typeof value === 'string' ? value : undefined;
}

export function fieldName(path: readonly PointerSegment[]): string {
  return pointerToFieldPath(toPointer(path));
}

/**
 * The data plane the job's pods get:
 * - `istio`: Istio with a sidecar proxy;
 * - `ambient`: Istio ambient (no container in the pod);
 * - `linkerd`: Linkerd's sidecar proxy;
 * - undefined: `provider: auto` and nothing tells (offline lint without namespace labels).
 */
export type Dataplane = 'istio' | 'ambient' | 'linkerd';

export interface MeshResolution {
  dataplane: Dataplane | undefined;
  /** Why, for messages: "namespace label istio-injection=enabled". */
  because: string;
}

function namespaceLabel(context: RuleContext, key: string): string | undefined {
  return context.namespaceLabels?.[key];
}

/**
 * What makes Istio inject a sidecar (its webhook's selectors, §1.1): the pod
 * label `sidecar.istio.io/inject: "true"`, a pod `istio.io/rev` label, or the
 * namespace labels `istio-injection=enabled` or `istio.io/rev`.
 */
function istioSidecarSignal(context: RuleContext): string | undefined {
  if (templateLabel(context, ISTIO_INJECT_LABEL) === 'true')
    return `pod template label ${ISTIO_INJECT_LABEL}=true`;
  if (templateLabel(context, ISTIO_REV_LABEL) !== undefined)
    return `pod template label ${ISTIO_REV_LABEL}`;
  const injection = namespaceLabel(context, ISTIO_INJECTION_NAMESPACE_LABEL);
  if (injection !== undefined) {
    // istio-injection wins over istio.io/rev, also when it disables injection.
    return injection === 'enabled'
      ? `namespace label ${ISTIO_INJECTION_NAMESPACE_LABEL}=enabled`
      : undefined;
  }
  if (namespaceLabel(context, ISTIO_REV_LABEL) !== undefined)
    return `namespace label ${ISTIO_REV_LABEL}`;
  return undefined;
}

function ambientSignal(context: RuleContext): string | undefined {
  const own = templateLabel(context, DATAPLANE_MODE_LABEL);
  // `none` is how a pod leaves ambient mode (what mesh.inject: false writes
  // there); it still says the pod is decided by ambient, not by a sidecar.
  if (own === 'ambient' || own === 'none')
    return `pod template label ${DATAPLANE_MODE_LABEL}=${own}`;
  if (namespaceLabel(context, DATAPLANE_MODE_LABEL) === 'ambient')
    return `namespace label ${DATAPLANE_MODE_LABEL}=ambient`;
  return undefined;
}

function linkerdSignal(context: RuleContext): string | undefined {
  if (templateAnnotation(context, LINKERD_INJECT_ANNOTATION) !== undefined)
    return `pod template annotation ${LINKERD_INJECT_ANNOTATION}`;
  // Linkerd reads an annotation on the namespace; namespaceLabels carries labels
  // only, so a label of the same name is accepted as the offline stand-in.
  const label = namespaceLabel(context, LINKERD_INJECT_ANNOTATION);
  if (label === 'enabled' || label === 'ingress')
    return `namespace label ${LINKERD_INJECT_ANNOTATION}=${label}`;
  return undefined;
}

/** Istio, unless the pod is in ambient mode and nothing asks for a sidecar (a sidecar wins over ambient). */
function istioOrAmbient(context: RuleContext, because: string): MeshResolution {
  const sidecar = istioSidecarSignal(context);
  const ambient = ambientSignal(context);
  if (sidecar === undefined && ambient !== undefined)
    return { dataplane: 'ambient', because: ambient };
  return { dataplane: 'istio', because: sidecar ?? because };
}

export function resolveDataplane(context: RuleContext): MeshResolution {
  const mesh = meshOf(context);
  if (mesh.provider === 'istio') return istioOrAmbient(context, 'provider istio');
  if (mesh.provider === 'linkerd') return { dataplane: 'linkerd', because: 'provider linkerd' };
  // auto: the pod template first (the author's explicit choice), then the namespace.
  if (
    templateLabel(context, ISTIO_INJECT_LABEL) !== undefined ||
    templateLabel(context, ISTIO_REV_LABEL) !== undefined
  )
    return istioOrAmbient(context, `pod template label ${ISTIO_INJECT_LABEL}`);
  const ownMode = templateLabel(context, DATAPLANE_MODE_LABEL);
  if (ownMode === 'ambient' || ownMode === 'none')
    return {
      dataplane: 'ambient',
      because: `pod template label ${DATAPLANE_MODE_LABEL}=${ownMode}`,
    };
  if (templateAnnotation(context, LINKERD_INJECT_ANNOTATION) !== undefined)
    return {
      dataplane: 'linkerd',
      because: `pod template annotation ${LINKERD_INJECT_ANNOTATION}`,
    };
  const istio = istioSidecarSignal(context);
  if (istio !== undefined) return { dataplane: 'istio', because: istio };
  const ambient = ambientSignal(context);
  if (ambient !== undefined) return { dataplane: 'ambient', because: ambient };
  const linkerd = linkerdSignal(context);
  if (linkerd !== undefined) return { dataplane: 'linkerd', because: linkerd };
  return {
    dataplane: undefined,
    because:
      context.namespaceLabels === undefined
        ? 'provider auto, namespace labels unknown and no mesh label or annotation on the pod template'
        : 'provider auto, and neither the namespace labels nor the pod template name a mesh',
  };
}

/**
 * Whether a proxy container will run beside the job in the (working) object:
 * the data plane is a sidecar one and the pod is selected for injection.
 * hostNetwork pods are never injected (either mesh).
 */
export function hasSidecar(context: RuleContext, resolution: MeshResolution): boolean {
  if (context.read([...context.paths.podSpec, 'hostNetwork']) === true) return false;
  if (resolution.dataplane === 'istio') {
    if (templateLabel(context, ISTIO_INJECT_LABEL) === 'false') return false;
    return istioSidecarSignal(context) !== undefined;
  }
  if (resolution.dataplane === 'linkerd') {
    const own = templateAnnotation(context, LINKERD_INJECT_ANNOTATION);
    if (own !== undefined) return own === 'enabled' || own === 'ingress';
    return linkerdSignal(context) !== undefined;
  }
  return false;
}

/** Why a value cannot be written, or undefined when it can. */
export type ValueCheck = (value: string) => string | undefined;

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes label value syntax (the API server rejects anything else). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length <= 63 && LABEL_VALUE.test(value)) return undefined;
  return `${JSON.stringify(value)} is not a valid label value (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`;
}

export interface PlannedValue {
  path: PointerSegment[];
  value: string;
  /** Why this value, appended to the mutation message: "policy default". */
  why: string;
  /** Problem with the value, when it must not be written. */
  problem?: string | undefined;
}

/**
 * Writes one label or annotation the way `mesh.apply` says. A value with a
 * problem is never written; `reportPlanned` reports it in the validate phase.
 */
export function writePlanned(context: RuleContext, planned: PlannedValue): void {
  const mode = meshOf(context).apply;
  if (mode === 'validate' || planned.problem !== undefined) return;
  const message = `set ${fieldName(planned.path)} to ${JSON.stringify(planned.value)} (${planned.why})`;
  if (mode === 'default') context.fill(planned.path, planned.value, message);
  else context.enforce(planned.path, planned.value, message);
}

/**
 * Validate phase: values that could not be written, and in `validate` mode the
 * values that differ. In default mode a different value the author wrote stands.
 */
export function reportPlanned(context: RuleContext, planned: PlannedValue): void {
  const name = fieldName(planned.path);
  if (planned.problem !== undefined) {
    context.report({
      path: planned.path.slice(0, -1),
      message: `cronguard did not set ${name}: ${planned.problem}`,
      fix: 'correct the value in the policy or on the object',
    });
    return;
  }
  if (meshOf(context).apply !== 'validate') return;
  const current = context.read(planned.path);
  if (current === planned.value) return;
  context.report({
    path: current === undefined ? planned.path.slice(0, -1) : planned.path,
    message: `${name} is ${current === undefined ? 'not set' : JSON.stringify(current)}; the mesh policy requires ${JSON.stringify(planned.value)} (${planned.why})`,
    fix: `set ${name}: ${JSON.stringify(planned.value)}`,
  });
}

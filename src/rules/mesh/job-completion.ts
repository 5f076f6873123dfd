import type { RuleContext } from '../../engine/context.js';
import { deepEqual } from '../../engine/patch.js';
import type { ContainerRef } from '../../k8s/workload.js';
import { validateIstioAnnotationValue } from '../../mesh/istio/validate.js';
import { validateLinkerdAnnotationValue } from '../../mesh/linkerd/validate.js';
import { globMatch } from '../../util/glob.js';
import type { Rule } from '../rule.js';
import { parseProxyConfigText, applyProxyConfig, reportProxyConfig } from './proxy-config.js';
import {
  annotationPath,
  DEFAULT_ISTIO_STATUS_PORT,
  fieldName,
  hasSidecar,
  ISTIO_NATIVE_SIDECAR_ANNOTATION,
  LINKERD_ADMIN_SHUTDOWN_ANNOTATION,
  meshOf,
  PROXY_CONFIG_ANNOTATION,
  PROXY_CONTAINER_NAMES,
  reportPlanned,
  resolveDataplane,
  STATUS_PORT_ANNOTATION,
  templateAnnotation,
  writePlanned,
  type PlannedValue,
} from './shared.js';
import {
  atLeast,
  linkerdNativeSidecarKey,
  NATIVE_SIDECAR_ISTIO,
  NATIVE_SIDECAR_KUBERNETES,
  parseLinkerdVersion,
} from './versions.js';
import { commandOf, linkerdShutdownCommand, unwrapIstio, wrapForIstio } from './wrap.js';

const RULE_ID = 'mesh-job-completion';

type SidecarMesh = 'istio' | 'linkerd';

/** How the job's pods are made to finish although a proxy runs beside them. */
type Completion =
  | { kind: 'native'; key: string; why: string }
  | { kind: 'fallback'; reason: string }
  | { kind: 'refused'; message: string; fix: string };

/**
 * Native sidecars where the cluster supports them. Unknown versions are assumed
 * new enough (every Kubernetes release still supported in 2026 is >= 1.29), and
 * the mutation message says so; a version known to be too old never gets them,
 * because the API server then rejects the pod ("may not be set for init
 * containers without restartPolicy=Always", istio/istio#52245).
 */
/** One version's verdict: native sidecars blocked (why), or allowed (with a note for the message). */
type Gate = { blocked: string } | { note: string };

function kubernetesGate(version: string | undefined): Gate {
  const ok = atLeast(version, NATIVE_SIDECAR_KUBERNETES.major, NATIVE_SIDECAR_KUBERNETES.minor);
  if (ok === false)
    return {
      blocked: `Kubernetes ${version ?? ''} is older than 1.29, which turned native sidecars on`,
    };
  if (ok === true) return { note: `Kubernetes ${version ?? ''}` };
  return {
    note:
      version === undefined
        ? 'Kubernetes version unknown, assumed 1.29 or newer'
        : `Kubernetes version ${JSON.stringify(version)} not understood, assumed 1.29 or newer`,
  };
}

function meshGate(context: RuleContext, mesh: SidecarMesh): Gate & { key?: string } {
  const section = meshOf(context);
  if (mesh === 'istio') {
    const version = section.istio?.version;
    const ok = atLeast(version, NATIVE_SIDECAR_ISTIO.major, NATIVE_SIDECAR_ISTIO.minor);
    if (ok === false)
      return {
        blocked: `Istio ${version ?? ''} has no per-pod native-sidecar switch (1.24 added it)`,
      };
    const note =
      ok === true ? `Istio ${version ?? ''}` : 'Istio version unknown, assumed 1.24 or newer';
    return { note, key: ISTIO_NATIVE_SIDECAR_ANNOTATION };
  }
  const version = section.linkerd?.version;
  const key = linkerdNativeSidecarKey(
    version === undefined ? undefined : parseLinkerdVersion(version),
  );
  if (key === undefined)
    return { blocked: `Linkerd ${version ?? ''} has no native sidecars (2.15 added them)` };
  const note =
    version === undefined
      ? 'Linkerd version unknown, assumed 2.20 or newer (set mesh.linkerd.version for older releases)'
      : `Linkerd ${version}`;
  return { note, key };
}

function decideCompletion(context: RuleContext, mesh: SidecarMesh): Completion {
  const mode = meshOf(context).jobCompletion.nativeSidecar;
  if (mode === 'never')
    return { kind: 'fallback', reason: 'mesh.jobCompletion.nativeSidecar is never' };
  const kubernetes = kubernetesGate(context.cluster.kubernetesVersion);
  const meshVersion = meshGate(context, mesh);
  const blocked =
    'blocked' in kubernetes
      ? kubernetes.blocked
      : 'blocked' in meshVersion
        ? meshVersion.blocked
        : undefined;
  if (blocked !== undefined || meshVersion.key === undefined) {
    const reason = blocked ?? 'native sidecars are not available';
    if (mode === 'always') {
      return {
        kind: 'refused',
        message: `mesh.jobCompletion.nativeSidecar is always, but ${reason}; native sidecars were not set, so the proxy may keep the job's pods running`,
        fix: 'use nativeSidecar: auto (falls back to holding the app until the proxy starts and, with wrapCommand, stopping the proxy when the job ends), or upgrade',
      };
    }
    return { kind: 'fallback', reason };
  }
  const notes = [kubernetes, meshVersion].map((gate) => ('note' in gate ? gate.note : ''));
  return {
    kind: 'native',
    key: meshVersion.key,
    why: `native sidecar, so the job can finish; ${notes.join(', ')}`,
  };
}

function nativePlanned(
  context: RuleContext,
  mesh: SidecarMesh,
  key: string,
  why: string,
): PlannedValue {
  const validate = mesh === 'istio' ? validateIstioAnnotationValue : validateLinkerdAnnotationValue;
  return { path: annotationPath(context, key), value: 'true', why, problem: validate(key, 'true') };
}

function adminShutdownPlanned(context: RuleContext): PlannedValue {
  return {
    path: annotationPath(context, LINKERD_ADMIN_SHUTDOWN_ANNOTATION),
    value: 'enabled',
    why: 'linkerd-await --shutdown needs the proxy admin /shutdown endpoint',
    problem: validateLinkerdAnnotationValue(LINKERD_ADMIN_SHUTDOWN_ANNOTATION, 'enabled'),
  };
}

/** The port the Istio agent serves /quitquitquit on, or a problem with it. */
function istioStatusPort(context: RuleContext): { port: number } | { problem: string } {
  const annotation = templateAnnotation(context, STATUS_PORT_ANNOTATION);
  if (annotation !== undefined) {
    const problem = validateIstioAnnotationValue(STATUS_PORT_ANNOTATION, annotation);
    if (problem !== undefined) return { problem };
    return { port: Number(annotation.trim()) };
  }
  const parsed = parseProxyConfigText(templateAnnotation(context, PROXY_CONFIG_ANNOTATION));
  const fromConfig = parsed.ok ? parsed.config.statusPort : undefined;
  if (typeof fromConfig === 'number' && Number.isInteger(fromConfig)) return { port: fromConfig };
  return { port: DEFAULT_ISTIO_STATUS_PORT };
}

/** App containers whose command the policy lets the fallback wrap. */
function wrapTargets(context: RuleContext): ContainerRef[] {
  const globs = meshOf(context).jobCompletion.containers;
  return context
    .containers()
    .filter(
      (ref) =>
        ref.list === 'containers' &&
        !PROXY_CONTAINER_NAMES.has(ref.name) &&
        (globs === undefined || globs.some((glob) => globMatch(glob, ref.name))),
    );
}

interface WrapPlan {
  ref: ContainerRef;
  command: string[];
  wrapped: string[];
}

type WrapDecision =
  | { kind: 'wrap'; plans: WrapPlan[] }
  | {
      kind: 'problem';
      path: readonly (string | number)[];
      message: string;
      fix: string;
      container?: string;
    };

function planWrap(context: RuleContext, mesh: SidecarMesh, port: number): WrapDecision {
  const targets = wrapTargets(context);
  const podSpec = context.paths.podSpec;
  if (targets.length === 0) {
    return {
      kind: 'problem',
      path: [...podSpec, 'containers'],
      message: 'mesh.jobCompletion.wrapCommand is true, but no app container is selected to wrap',
      fix: 'check mesh.jobCompletion.containers against the container names',
    };
  }
  if (targets.length > 1) {
    // Each wrapper stops the proxy when its own container ends: the first one to
    // end would cut the others off from the mesh.
    return {
      kind: 'problem',
      path: [...podSpec, 'containers'],
      message: `mesh.jobCompletion.wrapCommand would wrap ${targets.length} containers (${targets.map((ref) => ref.name).join(', ')}); the first to end would stop the proxy under the others, so none was wrapped`,
      fix: 'set mesh.jobCompletion.containers to the one container that ends last',
    };
  }
  const plans: WrapPlan[] = [];
  for (const ref of targets) {
    const command = commandOf(ref.container);
    if (command === undefined) {
      return {
        kind: 'problem',
        path: ref.path,
        container: ref.name,
        message: `container "${ref.name}" has no command, so it cannot be wrapped to stop the proxy when it ends (the image's entrypoint is not known here)`,
        fix: `set command on container "${ref.name}" to the image's entrypoint (and keep args), so cronguard can wrap it`,
      };
    }
    const wrapped =
      mesh === 'istio'
        ? wrapForIstio(unwrapIstio(command) ?? command, port)
        : linkerdShutdownCommand(command);
    plans.push({ ref, command, wrapped });
  }
  return { kind: 'wrap', plans };
}

function wrapMessage(mesh: SidecarMesh, port: number, name: string, reason: string): string {
  const how =
    mesh === 'istio'
      ? `POST http://127.0.0.1:${port}/quitquitquit after it ends`
      : 'linkerd-await --shutdown';
  return `wrapped the command of container "${name}" so it stops the ${mesh === 'istio' ? 'Istio' : 'Linkerd'} proxy when the job ends (${how}; the job's exit status is kept) because ${reason}`;
}

function mutateFallback(context: RuleContext, mesh: SidecarMesh, reason: string): void {
  const section = meshOf(context);
  if (mesh === 'istio') {
    applyProxyConfig(
      context,
      { holdApplicationUntilProxyStarts: true },
      `start the app after the proxy, because ${reason}`,
    );
  }
  if (!section.jobCompletion.wrapCommand) return;
  let port = 0;
  if (mesh === 'istio') {
    const status = istioStatusPort(context);
    if ('problem' in status || status.port === 0) return;
    port = status.port;
  }
  const decision = planWrap(context, mesh, port);
  if (decision.kind !== 'wrap') return;
  if (mesh === 'linkerd') writePlanned(context, adminShutdownPlanned(context));
  for (const plan of decision.plans) {
    // Also when already wrapped: writing the same value claims the command for
    // this policy, so a lower-priority one cannot rewrap it on reinvocation.
    context.enforce(
      [...plan.ref.path, 'command'],
      plan.wrapped,
      wrapMessage(mesh, port, plan.ref.name, reason),
    );
  }
}

function validateFallback(context: RuleContext, mesh: SidecarMesh, reason: string): void {
  const section = meshOf(context);
  const annotations = annotationPath(context, ISTIO_NATIVE_SIDECAR_ANNOTATION).slice(0, -1);
  let port = 0;
  if (mesh === 'istio') {
    reportProxyConfig(
      context,
      { holdApplicationUntilProxyStarts: true },
      `start the app after the proxy, because ${reason}`,
    );
    const status = istioStatusPort(context);
    const statusPath = annotationPath(context, STATUS_PORT_ANNOTATION);
    if ('problem' in status) {
      context.report({
        path: statusPath,
        message: status.problem,
        fix: `remove ${fieldName(statusPath)} or set a port such as "15020"`,
      });
      return;
    }
    if (status.port === 0) {
      context.report({
        path: statusPath,
        message: `status port 0 turns off the Istio agent's status server, which the fallback needs (holdApplicationUntilProxyStarts waits on it and /quitquitquit is served on it); ${reason}`,
        fix: `remove ${fieldName(statusPath)} (default 15020) or set another port`,
      });
      return;
    }
    port = status.port;
  }
  if (!section.jobCompletion.wrapCommand) {
    const proxy = mesh === 'istio' ? 'istio-proxy' : 'linkerd-proxy';
    context.report({
      path: annotations,
      message: `native sidecars are not used (${reason}), so the ${proxy} container keeps running after the job ends and its pods may never finish`,
      fix:
        mesh === 'istio'
          ? 'allow mesh.jobCompletion.wrapCommand (the image needs /bin/sh and curl or wget), run on Kubernetes >= 1.29 with Istio >= 1.24, and set activeDeadlineSeconds as a backstop'
          : 'allow mesh.jobCompletion.wrapCommand (the image needs linkerd-await), run Linkerd >= 2.15 on Kubernetes >= 1.29, and set activeDeadlineSeconds as a backstop',
    });
    return;
  }
  const decision = planWrap(context, mesh, port);
  if (decision.kind === 'problem') {
    context.report({
      path: decision.path,
      message: decision.message,
      fix: decision.fix,
      ...(decision.container === undefined ? {} : { container: decision.container }),
    });
    return;
  }
  if (mesh === 'linkerd') reportPlanned(context, adminShutdownPlanned(context));
  for (const plan of decision.plans) {
    if (deepEqual(plan.wrapped, plan.command)) continue;
    // Default and enforce modes wrote the wrapper; it is still missing only in
    // validate mode or where a higher-priority policy decided the command.
    context.report({
      path: [...plan.ref.path, 'command'],
      container: plan.ref.name,
      message: `container "${plan.ref.name}" does not stop the ${mesh === 'istio' ? 'Istio' : 'Linkerd'} proxy when it ends (${reason})`,
      fix: `set its command to ${JSON.stringify(plan.wrapped)}`,
    });
  }
}

/** The sidecar mesh of the object and its completion plan, or undefined when no proxy runs beside the job. */
function subject(context: RuleContext): { mesh: SidecarMesh; completion: Completion } | undefined {
  const resolution = resolveDataplane(context);
  const dataplane = resolution.dataplane;
  if ((dataplane !== 'istio' && dataplane !== 'linkerd') || !hasSidecar(context, resolution))
    return undefined;
  return { mesh: dataplane, completion: decideCompletion(context, dataplane) };
}

function authorDisabledNative(key: string): string {
  return `the pod template annotation ${key} is not "true"`;
}

export const meshJobCompletion: Rule = {
  id: RULE_ID,
  section: 'mesh',
  title: 'Meshed jobs finish',
  description:
    "Makes the pods of meshed Jobs finish although a proxy runs beside them: native sidecars (sidecar.istio.io/nativeSidecar, or Linkerd's proxy-enable-native-sidecar key for its version) where Kubernetes >= 1.29 and the mesh support them; otherwise holdApplicationUntilProxyStarts merged into proxy.istio.io/config and, only when the policy allows wrapCommand, the job's command wrapped so it stops the proxy when it ends (keeping its exit status). Reports when a pod may never finish.",
  kinds: ['CronJob', 'Job'],
  enabled: (spec) => spec.mesh !== undefined,
  mutate(context) {
    const found = subject(context);
    if (found === undefined || meshOf(context).apply === 'validate') return;
    const { mesh, completion } = found;
    if (completion.kind === 'refused') return;
    if (completion.kind === 'fallback') {
      mutateFallback(context, mesh, completion.reason);
      return;
    }
    const planned = nativePlanned(context, mesh, completion.key, completion.why);
    writePlanned(context, planned);
    // The author's "false" stands in default mode; the pod then needs the fallback.
    if (context.read(planned.path) !== 'true')
      mutateFallback(context, mesh, authorDisabledNative(completion.key));
  },
  validate(context) {
    const found = subject(context);
    if (found === undefined) return;
    const { mesh, completion } = found;
    if (completion.kind === 'refused') {
      context.report({
        path: annotationPath(context, ISTIO_NATIVE_SIDECAR_ANNOTATION).slice(0, -1),
        message: completion.message,
        fix: completion.fix,
      });
      return;
    }
    if (completion.kind === 'fallback') {
      validateFallback(context, mesh, completion.reason);
      return;
    }
    const planned = nativePlanned(context, mesh, completion.key, completion.why);
    reportPlanned(context, planned);
    if (meshOf(context).apply === 'validate') return;
    if (planned.problem === undefined && context.read(planned.path) !== 'true')
      validateFallback(context, mesh, authorDisabledNative(completion.key));
  },
};

import type { RuleContext } from '../../engine/context.js';
import type { ContainerRef } from '../../k8s/workload.js';
import type { ProbesSection } from '../../policy/types.js';
import { globMatch } from '../../util/glob.js';

export type ProbeKind = 'startupProbe' | 'livenessProbe' | 'readinessProbe';

export const PROBE_KINDS: readonly ProbeKind[] = [
  'startupProbe',
  'livenessProbe',
  'readinessProbe',
];

/**
 * App containers: the `containers` list only. Regular init containers cannot
 * have liveness/readiness/startup probes (the API server rejects them), and native
 * sidecars (init containers with restartPolicy Always) are long-running helpers
 * whose probes belong to whoever injects them, not to the job's author.
 */
export function appContainers(context: RuleContext): ContainerRef[] {
  return context.containers().filter((ref) => ref.list === 'containers');
}

/** Whether the policy's asked-for probes go into this container (`probes.containers` globs, default all). */
export function isProbeTarget(section: ProbesSection, containerName: string): boolean {
  const globs = section.containers;
  if (globs === undefined) return true;
  return globs.some((glob) => globMatch(glob, containerName));
}

/** The probes this policy asks for, in a fixed order. */
export function requestedProbes(section: ProbesSection | undefined): ProbeKind[] {
  if (section === undefined) return [];
  return PROBE_KINDS.filter((kind) => section[kind] !== undefined);
}

/** JSON null means "not set" to the API server (it decodes to a nil pointer), so it counts as missing. */
export function hasProbe(container: Record<string, unknown>, kind: ProbeKind): boolean {
  const value = container[kind];
  return value !== undefined && value !== null;
}

/**
 * The restartPolicy the pod will run with. Omitted means the pod default, Always
 * (which the API server rejects for Jobs; job-restart-policy reports that).
 */
export function effectiveRestartPolicy(context: RuleContext): unknown {
  return context.read([...context.paths.podSpec, 'restartPolicy']) ?? 'Always';
}

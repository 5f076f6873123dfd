/**
 * Version numbers of Kubernetes and the meshes, as far as the mesh rules need
 * them: which per-pod switches exist. Pure; shared with the policy loader,
 * which refuses versions it cannot read.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

// `1.31`, `v1.31.2`, `v1.31.2-eks-1234`, `1.29+` (managed clusters add suffixes).
const RELEASE_VERSION = /^v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?(?:[-+].*)?$/;

/** Kubernetes or Istio version text → numbers; undefined when it is not `MAJOR.MINOR[.PATCH]`. */
export function parseReleaseVersion(text: string): Version | undefined {
  const match = RELEASE_VERSION.exec(text.trim());
  if (match === null) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** Whether `text` is a readable version of at least `major.minor`; undefined when `text` is. */
export function atLeast(
  text: string | undefined,
  major: number,
  minor: number,
): boolean | undefined {
  if (text === undefined) return undefined;
  const version = parseReleaseVersion(text);
  if (version === undefined) return undefined;
  return compareVersions(version, { major, minor, patch: 0 }) >= 0;
}

/** Kubernetes turned native sidecars (SidecarContainers) on by default in 1.29. */
export const NATIVE_SIDECAR_KUBERNETES = { major: 1, minor: 29 } as const;
/** Istio reads the per-pod `sidecar.istio.io/nativeSidecar` annotation since 1.24. */
export const NATIVE_SIDECAR_ISTIO = { major: 1, minor: 24 } as const;

/**
 * Linkerd names releases two ways: stable/versioned (`2.19`, `stable-2.14.10`,
 * `version-2.19.1`, `enterprise-2.17.0`) and edge (`edge-25.10.2`: year, month, build).
 */
export type LinkerdVersion =
  | { channel: 'stable'; major: number; minor: number; patch: number }
  | { channel: 'edge'; year: number; month: number; build: number };

const LINKERD_STABLE = /^(?:stable-|version-|enterprise-)?v?(\d{1,4})\.(\d{1,4})(?:\.(\d{1,6}))?$/;
const LINKERD_EDGE = /^edge-(\d{2})\.(\d{1,2})\.(\d{1,4})$/;

export function parseLinkerdVersion(text: string): LinkerdVersion | undefined {
  const trimmed = text.trim();
  const stable = LINKERD_STABLE.exec(trimmed);
  if (stable !== null) {
    return {
      channel: 'stable',
      major: Number(stable[1]),
      minor: Number(stable[2]),
      patch: Number(stable[3] ?? 0),
    };
  }
  const edge = LINKERD_EDGE.exec(trimmed);
  if (edge === null) return undefined;
  const month = Number(edge[2]);
  if (month < 1 || month > 12) return undefined;
  return { channel: 'edge', year: Number(edge[1]), month, build: Number(edge[3]) };
}

export const LINKERD_NATIVE_GA = 'config.linkerd.io/proxy-enable-native-sidecar';
export const LINKERD_NATIVE_BETA = 'config.beta.linkerd.io/proxy-enable-native-sidecar';
export const LINKERD_NATIVE_ALPHA = 'config.alpha.linkerd.io/proxy-enable-native-sidecar';

/**
 * The first release of each native-sidecar annotation, stable and edge (L2 PRs
 * #11465, #14587, #15267). Newest first: a release reads its own key and the
 * older ones (GA beats beta beats alpha when several are set).
 */
const LINKERD_NATIVE_KEYS: readonly {
  key: string;
  stable: readonly [number, number];
  edge: readonly [number, number, number];
}[] = [
  { key: LINKERD_NATIVE_GA, stable: [2, 20], edge: [26, 5, 2] },
  { key: LINKERD_NATIVE_BETA, stable: [2, 19], edge: [25, 10, 2] },
  { key: LINKERD_NATIVE_ALPHA, stable: [2, 15], edge: [23, 11, 4] },
];

/**
 * The native-sidecar annotation a Linkerd release reads, or undefined when it
 * has none (before 2.15 / edge-23.11.4). Unknown version: the GA key, assuming a
 * current release (2.20+), as for Kubernetes and Istio; older releases ignore
 * it, so policies for them must name `mesh.linkerd.version`.
 */
export function linkerdNativeSidecarKey(version: LinkerdVersion | undefined): string | undefined {
  if (version === undefined) return LINKERD_NATIVE_GA;
  for (const entry of LINKERD_NATIVE_KEYS) {
    const reached =
      version.channel === 'stable'
        ? version.major > entry.stable[0] ||
          (version.major === entry.stable[0] && version.minor >= entry.stable[1])
        : compareTriples([version.year, version.month, version.build], entry.edge) >= 0;
    if (reached) return entry.key;
  }
  return undefined;
}

function compareTriples(
  a: readonly [number, number, number],
  b: readonly [number, number, number],
): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

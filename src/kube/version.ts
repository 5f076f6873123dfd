import { VersionApi, type KubeConfig } from '@kubernetes/client-node';

/** The fields of the API server's /version answer that carry the version. */
export interface VersionFields {
  major?: string;
  minor?: string;
  gitVersion?: string;
  emulationMajor?: string;
  emulationMinor?: string;
}

/** Asks the API server for its version; resolves to "1.31" style major.minor. */
export async function fetchKubernetesVersion(kubeConfig: KubeConfig): Promise<string> {
  const info = await kubeConfig.makeApiClient(VersionApi).getCode();
  return parseKubernetesVersion(info);
}

/**
 * major.minor from /version. Since 1.33 a server may emulate an older version; it
 * then serves that version's APIs and features, which is what matters to us, so the
 * emulation fields win. Providers decorate the rest: EKS and GKE report minor "31+"
 * and gitVersion "v1.31.2-eks-abc", so trailing non-digits are ignored and gitVersion
 * is only the fallback when major/minor are empty (some distributions and dev builds).
 */
export function parseKubernetesVersion(info: VersionFields): string {
  const emulated = fromMajorMinor(info.emulationMajor, info.emulationMinor);
  if (emulated !== undefined) return emulated;
  const binary = fromMajorMinor(info.major, info.minor);
  if (binary !== undefined) return binary;
  const match = /^v?(\d+)\.(\d+)(?:\.|-|\+|$)/.exec(info.gitVersion ?? '');
  if (match?.[1] !== undefined && match[2] !== undefined && match[1] !== '0') {
    return `${Number(match[1])}.${Number(match[2])}`;
  }
  throw new Error(
    `cannot tell the Kubernetes version from /version (major "${info.major ?? ''}", minor "${info.minor ?? ''}", gitVersion "${info.gitVersion ?? ''}")`,
  );
}

function fromMajorMinor(major: string | undefined, minor: string | undefined): string | undefined {
  const majorNumber = /^(\d+)\D*$/.exec(major ?? '')?.[1];
  const minorNumber = /^(\d+)\D*$/.exec(minor ?? '')?.[1];
  if (majorNumber === undefined || minorNumber === undefined || Number(majorNumber) === 0) {
    return undefined;
  }
  return `${Number(majorNumber)}.${Number(minorNumber)}`;
}

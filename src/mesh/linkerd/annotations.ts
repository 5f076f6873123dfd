/**
 * Linkerd's pod annotations that configure the injected proxy, as data
 * (linkerd/linkerd2 pkg/k8s/labels.go and the linkerd.io proxy-configuration
 * reference). Linkerd has no machine-readable registry with feature status, so
 * entries carry only what matters here: whether a key is deprecated and what
 * replaces it, and our value type (LINKERD_VALUE_TYPES in validate.ts).
 *
 * Only the config prefixes are closed sets we check for unknown names; the
 * plain `linkerd.io/` prefix also holds many keys Linkerd writes itself.
 */
import { suggestKey } from '../names.js';
import { LINKERD_VALUE_TYPES, type LinkerdValueType } from './validate.js';

export interface LinkerdKey {
  name: string;
  deprecated: boolean;
  replacement?: string;
  valueType: LinkerdValueType;
}

export const LINKERD_ANNOTATION_PREFIXES: readonly string[] = [
  'config.linkerd.io/',
  'config.alpha.linkerd.io/',
  'config.beta.linkerd.io/',
];

const NATIVE_SIDECAR = 'config.linkerd.io/proxy-enable-native-sidecar';

const CONFIG_NAMES: readonly string[] = [
  'admin-port',
  'close-wait-timeout',
  'control-port',
  'debug-image',
  'debug-image-pull-policy',
  'debug-image-version',
  'default-inbound-policy',
  'disable-identity',
  'disable-tap',
  'enable-debug-sidecar',
  'enable-external-profiles',
  'image-pull-policy',
  'inbound-port',
  'init-image',
  'init-image-version',
  'opaque-ports',
  'outbound-port',
  'pod-inbound-ports',
  'proxy-access-log',
  'proxy-admin-shutdown',
  'proxy-await',
  'proxy-cpu-limit',
  'proxy-cpu-request',
  'proxy-disable-inbound-protocol-detect-timeout',
  'proxy-disable-outbound-protocol-detect-timeout',
  'proxy-enable-gateway',
  'proxy-enable-native-sidecar',
  'proxy-ephemeral-storage-limit',
  'proxy-ephemeral-storage-request',
  'proxy-gid',
  'proxy-image',
  'proxy-inbound-connect-timeout',
  'proxy-inbound-discovery-cache-unused-timeout',
  'proxy-log-format',
  'proxy-log-http-headers',
  'proxy-log-level',
  'proxy-memory-limit',
  'proxy-memory-request',
  'proxy-outbound-connect-timeout',
  'proxy-outbound-discovery-cache-unused-timeout',
  'proxy-require-identity-inbound-ports',
  'proxy-uid',
  'proxy-version',
  'shutdown-grace-period',
  'skip-inbound-ports',
  'skip-outbound-ports',
  'skip-subnets',
  'trace-collector',
];

function key(name: string, deprecated = false, replacement?: string): LinkerdKey {
  return {
    name,
    deprecated,
    ...(replacement === undefined ? {} : { replacement }),
    valueType: LINKERD_VALUE_TYPES.get(name) ?? 'text',
  };
}

export const LINKERD_ANNOTATIONS: ReadonlyMap<string, LinkerdKey> = new Map(
  [
    key('linkerd.io/inject'),
    ...CONFIG_NAMES.map((name) => key(`config.linkerd.io/${name}`)),
    // Native sidecar: alpha (2.15), beta (2.19), GA (2.20, which deprecates both).
    key('config.alpha.linkerd.io/proxy-enable-native-sidecar', true, NATIVE_SIDECAR),
    key('config.beta.linkerd.io/proxy-enable-native-sidecar', true, NATIVE_SIDECAR),
    key('config.alpha.linkerd.io/proxy-wait-before-exit-seconds'),
    key('config.alpha.linkerd.io/trace-collector-service-account'),
  ].map((entry) => [entry.name, entry]),
);

export function lookupLinkerdAnnotation(name: string): LinkerdKey | undefined {
  return LINKERD_ANNOTATIONS.get(name);
}

export function hasLinkerdPrefix(name: string): boolean {
  return LINKERD_ANNOTATION_PREFIXES.some((prefix) => name.startsWith(prefix));
}

export function suggestLinkerdAnnotation(name: string): string | undefined {
  return suggestKey(name, LINKERD_ANNOTATIONS.keys());
}

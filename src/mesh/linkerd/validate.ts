/**
 * Checks of Linkerd pod annotation values (linkerd/linkerd2 pkg/inject/inject.go,
 * pkg/k8s/labels.go).
 *
 * Unlike Istio, Linkerd's injector does not refuse the pod: a value it cannot
 * parse is logged and ignored, and the namespace's annotation or the installation
 * default applies instead. So a typo in `config.linkerd.io/proxy-enable-native-sidecar`
 * quietly leaves a Job's proxy running forever; the messages say "ignores".
 */
import { GO_BOOLEANS } from '../istio/validate.js';
import { parseGoDuration } from '../../schedule/go-duration.js';
import { isValidQuantity } from '../../k8s/quantity.js';

export type LinkerdValueType =
  /** enabled | disabled | ingress */
  | 'inject'
  /** enabled | disabled */
  | 'enabled-disabled'
  /** Go strconv.ParseBool */
  | 'go-bool'
  /** Go time.ParseDuration */
  | 'duration'
  /** Decimal unsigned integer */
  | 'uint'
  /** Kubernetes resource.Quantity */
  | 'quantity'
  | 'text';

export const LINKERD_VALUE_TYPES: ReadonlyMap<string, LinkerdValueType> = new Map([
  ['linkerd.io/inject', 'inject'],
  ['config.linkerd.io/proxy-await', 'enabled-disabled'],
  ['config.linkerd.io/proxy-admin-shutdown', 'enabled-disabled'],
  ['config.alpha.linkerd.io/proxy-enable-native-sidecar', 'go-bool'],
  ['config.beta.linkerd.io/proxy-enable-native-sidecar', 'go-bool'],
  ['config.linkerd.io/proxy-enable-native-sidecar', 'go-bool'],
  ['config.linkerd.io/shutdown-grace-period', 'duration'],
  ['config.alpha.linkerd.io/proxy-wait-before-exit-seconds', 'uint'],
  ['config.linkerd.io/proxy-cpu-request', 'quantity'],
  ['config.linkerd.io/proxy-cpu-limit', 'quantity'],
  ['config.linkerd.io/proxy-memory-request', 'quantity'],
  ['config.linkerd.io/proxy-memory-limit', 'quantity'],
]);

/**
 * Undefined when `value` is valid for the Linkerd annotation `name` (or we know
 * no type for it), else a one-line error. An empty value is never an error:
 * Linkerd reads "" as "not set".
 */
export function validateLinkerdAnnotationValue(name: string, value: string): string | undefined {
  const type = LINKERD_VALUE_TYPES.get(name);
  if (type === undefined || value === '') return undefined;
  const expected = expectation(type, value);
  return expected === undefined
    ? undefined
    : `${name}: Linkerd ignores ${JSON.stringify(value)}; use ${expected}`;
}

/** What a valid value looks like, or undefined when `value` is one. */
function expectation(type: LinkerdValueType, value: string): string | undefined {
  switch (type) {
    case 'inject':
      return ['enabled', 'disabled', 'ingress'].includes(value)
        ? undefined
        : '"enabled", "disabled" or "ingress"';
    case 'enabled-disabled':
      return value === 'enabled' || value === 'disabled' ? undefined : '"enabled" or "disabled"';
    case 'go-bool':
      return GO_BOOLEANS.has(value) ? undefined : '"true" or "false"';
    case 'duration':
      return parseGoDuration(value).ok
        ? undefined
        : 'a Go duration such as "30s" or "2m" (units h, m, s, ms)';
    case 'uint':
      return /^[0-9]+$/.test(value) && value.length <= 19
        ? undefined
        : 'a whole number of seconds such as "10"';
    case 'quantity':
      return isValidQuantity(value) ? undefined : 'a Kubernetes quantity such as "100m" or "64Mi"';
    case 'text':
      return undefined;
  }
}

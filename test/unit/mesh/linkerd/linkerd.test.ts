import { describe, expect, it } from 'vitest';
import {
  hasLinkerdPrefix,
  LINKERD_ANNOTATIONS,
  lookupLinkerdAnnotation,
  suggestLinkerdAnnotation,
} from '../../../../src/mesh/linkerd/annotations.js';
import {
  LINKERD_VALUE_TYPES,
  validateLinkerdAnnotationValue,
} from '../../../../src/mesh/linkerd/validate.js';

describe('validateLinkerdAnnotationValue', () => {
  const cases: [string, string, boolean][] = [
    ['linkerd.io/inject', 'enabled', true],
    ['linkerd.io/inject', 'disabled', true],
    ['linkerd.io/inject', 'ingress', true],
    ['linkerd.io/inject', 'true', false],
    ['linkerd.io/inject', 'Enabled', false],
    ['config.linkerd.io/proxy-await', 'enabled', true],
    ['config.linkerd.io/proxy-await', 'true', false],
    ['config.linkerd.io/proxy-admin-shutdown', 'disabled', true],
    ['config.linkerd.io/proxy-admin-shutdown', 'on', false],
    // Go strconv.ParseBool.
    ['config.linkerd.io/proxy-enable-native-sidecar', 'true', true],
    ['config.linkerd.io/proxy-enable-native-sidecar', 'T', true],
    ['config.linkerd.io/proxy-enable-native-sidecar', '0', true],
    ['config.beta.linkerd.io/proxy-enable-native-sidecar', 'yes', false],
    ['config.alpha.linkerd.io/proxy-enable-native-sidecar', 'enabled', false],
    ['config.linkerd.io/shutdown-grace-period', '30s', true],
    ['config.linkerd.io/shutdown-grace-period', '2m', true],
    ['config.linkerd.io/shutdown-grace-period', '30', false],
    ['config.linkerd.io/shutdown-grace-period', '1d', false],
    ['config.alpha.linkerd.io/proxy-wait-before-exit-seconds', '10', true],
    ['config.alpha.linkerd.io/proxy-wait-before-exit-seconds', '-1', false],
    ['config.alpha.linkerd.io/proxy-wait-before-exit-seconds', '10s', false],
    ['config.linkerd.io/proxy-cpu-request', '100m', true],
    ['config.linkerd.io/proxy-memory-limit', '64MB', false],
    // Linkerd reads "" as unset; untyped names are not checked.
    ['linkerd.io/inject', '', true],
    ['config.linkerd.io/proxy-log-level', 'warn,linkerd=info', true],
  ];
  it.each(cases)('%s: %j valid=%s', (name, value, expected) => {
    expect(validateLinkerdAnnotationValue(name, value) === undefined).toBe(expected);
  });

  it('says Linkerd ignores the value and what to use', () => {
    expect(validateLinkerdAnnotationValue('config.linkerd.io/proxy-await', 'true')).toBe(
      'config.linkerd.io/proxy-await: Linkerd ignores "true"; use "enabled" or "disabled"',
    );
  });
});

describe('Linkerd registry', () => {
  it('knows the keys it has value types for', () => {
    for (const name of LINKERD_VALUE_TYPES.keys())
      expect(LINKERD_ANNOTATIONS.has(name), name).toBe(true);
  });

  it('marks the alpha and beta native-sidecar keys deprecated in favour of the GA key', () => {
    for (const stage of ['alpha', 'beta'])
      expect(
        lookupLinkerdAnnotation(`config.${stage}.linkerd.io/proxy-enable-native-sidecar`),
      ).toMatchObject({
        deprecated: true,
        replacement: 'config.linkerd.io/proxy-enable-native-sidecar',
      });
    expect(
      lookupLinkerdAnnotation('config.linkerd.io/proxy-enable-native-sidecar')?.deprecated,
    ).toBe(false);
  });

  it('checks only the config prefixes for unknown names', () => {
    expect(hasLinkerdPrefix('config.linkerd.io/proxy-await')).toBe(true);
    expect(hasLinkerdPrefix('config.alpha.linkerd.io/x')).toBe(true);
    expect(hasLinkerdPrefix('linkerd.io/proxy-version')).toBe(false);
  });

  it.each([
    ['config.linkerd.io/proxy-awiat', 'config.linkerd.io/proxy-await'],
    ['config.linkerd.io/shutdown-grace-periods', 'config.linkerd.io/shutdown-grace-period'],
    [
      'config.linkerd.io/proxy-wait-before-exit-seconds',
      'config.alpha.linkerd.io/proxy-wait-before-exit-seconds',
    ],
  ])('suggests %s → %s', (typo, meant) => {
    expect(suggestLinkerdAnnotation(typo)).toBe(meant);
  });
});

import { describe, expect, it } from 'vitest';
import {
  hasIstioPrefix,
  ISTIO_ANNOTATIONS,
  lookupIstioAnnotation,
  lookupIstioLabel,
  suggestIstioAnnotation,
} from '../../../../src/mesh/istio/annotations.js';
import { ISTIO_VALUE_TYPES } from '../../../../src/mesh/istio/validate.js';
import { suggestKey } from '../../../../src/mesh/names.js';

describe('Istio registry', () => {
  it('carries the registry facts and our value type', () => {
    expect(lookupIstioAnnotation('proxy.istio.io/config')).toEqual({
      name: 'proxy.istio.io/config',
      featureStatus: 'Beta',
      deprecated: false,
      hidden: false,
      resources: ['Pod'],
      valueType: 'proxy-config',
    });
    expect(
      lookupIstioAnnotation('sidecar.istio.io/proxyMemoryLimit')?.featureStatus,
    ).toBeUndefined();
    expect(lookupIstioAnnotation('sidecar.istio.io/inject')).toMatchObject({
      deprecated: true,
      replacement: 'the label sidecar.istio.io/inject',
    });
    expect(lookupIstioAnnotation('sidecar.istio.io/proxyImage')?.valueType).toBe('text');
    expect(lookupIstioLabel('istio.io/rev')?.featureStatus).toBe('Beta');
    expect(lookupIstioLabel('sidecar.istio.io/inject')?.valueType).toBe('strict-bool');
    expect(lookupIstioAnnotation('sidecar.istio.io/proxyCpu')).toBeUndefined();
  });

  it('lists every annotation it has a value type for (labels aside)', () => {
    for (const name of ISTIO_VALUE_TYPES.keys())
      expect(ISTIO_ANNOTATIONS.has(name), name).toBe(true);
  });

  it('keeps every annotation under a sidecar prefix', () => {
    for (const name of ISTIO_ANNOTATIONS.keys()) expect(hasIstioPrefix(name), name).toBe(true);
    expect(hasIstioPrefix('istio.io/rev')).toBe(false);
    expect(hasIstioPrefix('prometheus.istio.io/merge-metrics')).toBe(false);
  });
});

describe('did you mean', () => {
  it.each([
    ['sidecar.istio.io/proxyCpu', 'sidecar.istio.io/proxyCPU'],
    ['sidecar.istio.io/proxyCPUlimit', 'sidecar.istio.io/proxyCPULimit'],
    ['sidecar.istio.io/nativesidecar', 'sidecar.istio.io/nativeSidecar'],
    ['sidecar.istio.io/nativeSidcar', 'sidecar.istio.io/nativeSidecar'],
    [
      'traffic.sidecar.istio.io/excludeOutboundPort',
      'traffic.sidecar.istio.io/excludeOutboundPorts',
    ],
    // Right name, wrong prefix.
    ['sidecar.istio.io/excludeOutboundPorts', 'traffic.sidecar.istio.io/excludeOutboundPorts'],
    ['proxy.istio.io/confg', 'proxy.istio.io/config'],
  ])('%s → %s', (typo, meant) => {
    expect(suggestIstioAnnotation(typo)).toBe(meant);
  });

  it('suggests nothing for unrelated names or known ones', () => {
    expect(suggestIstioAnnotation('sidecar.istio.io/somethingElseEntirely')).toBeUndefined();
    expect(suggestIstioAnnotation('sidecar.istio.io/proxyCPU')).toBeUndefined();
    expect(suggestKey('noprefix', ['noprefiz'])).toBe('noprefiz');
  });
});

import { describe, expect, it } from 'vitest';
import { prefixError } from '../../../../src/mesh/istio/prefix.js';
import {
  parseGoDuration,
  validateIstioAnnotationValue,
  validateIstioDuration,
  validateProxyConfig,
} from '../../../../src/mesh/istio/validate.js';

const valid = (name: string, value: string) => validateIstioAnnotationValue(name, value);

describe('validateIstioAnnotationValue', () => {
  const cases: [string, string, boolean][] = [
    // Quantities go verbatim into the proxy's resources.
    ['sidecar.istio.io/proxyCPU', '100m', true],
    ['sidecar.istio.io/proxyCPU', '0.5', true],
    ['sidecar.istio.io/proxyMemory', '128Mi', true],
    ['sidecar.istio.io/proxyMemoryLimit', '1Gi', true],
    ['sidecar.istio.io/proxyCPULimit', '2 cores', false],
    ['sidecar.istio.io/proxyCPU', '-1', false],
    ['sidecar.istio.io/proxyMemory', '128MB', false],
    ['sidecar.istio.io/proxyMemory', '', false],
    // Port lists: uint16, spaces around entries trimmed, "" is empty, "*" only for includeInboundPorts.
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '0', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '65535', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '65536', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '5432, 6379', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '80,,90', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '80,', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '-1', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '+80', false],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '080', true],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '*', false],
    ['traffic.sidecar.istio.io/includeInboundPorts', '*', true],
    ['traffic.sidecar.istio.io/includeInboundPorts', '*,80', false],
    ['traffic.sidecar.istio.io/includeOutboundPorts', '443', true],
    ['readiness.status.sidecar.istio.io/applicationPorts', '8080,9090', true],
    // CIDR lists: no spaces, "*" only alone and only for includeOutboundIPRanges.
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '*', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8,172.16.0.0/12', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '*,10.0.0.0/8', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '*', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', 'fd00::/8,::1/128', true],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/8, 192.168.0.0/16', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.1', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/33', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/08', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '010.0.0.0/8', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.1/8', true],
    // Status port: uint16, "0" disables the status server (valid, if unwise).
    ['status.sidecar.istio.io/port', '15020', true],
    ['status.sidecar.istio.io/port', '0', true],
    ['status.sidecar.istio.io/port', '65536', false],
    ['status.sidecar.istio.io/port', '', false],
    // uint32, no trimming.
    ['readiness.status.sidecar.istio.io/periodSeconds', '15', true],
    ['readiness.status.sidecar.istio.io/periodSeconds', '4294967295', true],
    ['readiness.status.sidecar.istio.io/periodSeconds', '4294967296', false],
    ['readiness.status.sidecar.istio.io/initialDelaySeconds', '-1', false],
    ['readiness.status.sidecar.istio.io/failureThreshold', ' 4', false],
    ['readiness.status.sidecar.istio.io/failureThreshold', '1.5', false],
    // Booleans Istio compares as strings.
    ['sidecar.istio.io/nativeSidecar', 'true', true],
    ['sidecar.istio.io/nativeSidecar', 'false', true],
    ['sidecar.istio.io/nativeSidecar', 'True', false],
    ['sidecar.istio.io/inject', 'yes', false],
    ['sidecar.istio.io/interceptionMode', 'TPROXY', true],
    ['sidecar.istio.io/interceptionMode', 'redirect', false],
    // Names without a type are not checked.
    ['sidecar.istio.io/proxyImage', 'anything at all', true],
    ['example.com/other', '', true],
  ];
  it.each(cases)('%s: %j valid=%s', (name, value, expected) => {
    expect(valid(name, value) === undefined).toBe(expected);
  });

  it('says what the injector does and what a valid value looks like, on one line', () => {
    const message = valid('traffic.sidecar.istio.io/excludeOutboundPorts', '5432,65536');
    expect(message).toBe(
      'traffic.sidecar.istio.io/excludeOutboundPorts: Istio\'s injector rejects the pod: "65536" is not a port; use comma-separated ports 0..65535, e.g. "5432,6379"',
    );
    expect(valid('sidecar.istio.io/nativeSidecar', 'yes')).toContain('Istio ignores "yes"');
    expect(valid('traffic.sidecar.istio.io/excludeOutboundIPRanges', '*')).toContain(
      'only allowed alone in includeOutboundIPRanges',
    );
  });

  it('parses proxy.istio.io/config as YAML or JSON and validates it', () => {
    const name = 'proxy.istio.io/config';
    expect(
      valid(name, 'holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 10s'),
    ).toBe(undefined);
    expect(valid(name, '{"holdApplicationUntilProxyStarts": true}')).toBe(undefined);
    expect(valid(name, '')).toBe(undefined);
    expect(valid(name, '{ holdApplicationUntilProxyStarts: ')).toContain('not valid YAML or JSON');
    expect(valid(name, '- a\n- b')).toContain('ProxyConfig must be an object');
    const message = valid(name, 'terminationDrainDuration: 500us\nstatusPort: 0');
    expect(message).toContain('terminationDrainDuration: "500us" is shorter than 1ms');
    expect(message).toContain('statusPort: must be between 1 and 65535, got 0');
    expect(message).not.toContain('\n');
  });
});

describe('prefixError (Go netip.ParsePrefix)', () => {
  it.each([
    '0.0.0.0/0',
    '192.168.1.0/24',
    '::/0',
    '2001:db8::/32',
    '::ffff:10.0.0.0/104',
    '1:2:3:4:5:6:7:8/128',
    'fe80::1:2/64',
  ])('accepts %s', (text) => {
    expect(prefixError(text)).toBeUndefined();
  });

  it.each([
    ['10.0.0.0', "no '/'"],
    ['10.0.0/8', 'IPv4 address too short or too long'],
    ['10.0.0.256/8', 'IPv4 field has value >255'],
    ['10.0.0.0/-1', 'bad bits after slash: "-1"'],
    ['10.0.0.0/', 'bad bits after slash: ""'],
    ['::/129', 'prefix length out of range'],
    ['fe80::1%eth0/64', 'IPv6 zones cannot be present in a prefix'],
    ['1::2::3/64', 'multiple :: in address'],
    ['1:2:3:4:5:6:7/64', 'address string too short'],
    ['1:2:3:4:5:6:7:8::/64', 'too many fields'],
    ['12345::/16', 'IPv6 field has value >=2^16'],
    ['example.com/8', 'unexpected character'],
    ['*/0', 'unable to parse IP'],
  ])('rejects %s (%s)', (text, reason) => {
    expect(prefixError(text)).toBe(reason);
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5ms', 1.5],
    ['500us', 0.5],
    ['-1m', -60_000],
    ['0', 0],
  ])('parseGoDuration(%s) = %s ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['1d', '', '1 h', '30', 's'])('parseGoDuration(%j) is not a duration', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('follows Istio: at least 1ms, whole milliseconds', () => {
    expect(validateIstioDuration('1ms')).toBeUndefined();
    expect(validateIstioDuration('2h')).toBeUndefined();
    expect(validateIstioDuration('1000us')).toBeUndefined();
    expect(validateIstioDuration('1.5ms')).toContain('not a whole number of milliseconds');
    expect(validateIstioDuration('500us')).toContain('shorter than 1ms');
    expect(validateIstioDuration('-1m')).toContain('shorter than 1ms');
    expect(validateIstioDuration('0s')).toContain('shorter than 1ms');
    expect(validateIstioDuration('1d')).toContain('is not a duration');
  });
});

describe('validateProxyConfig', () => {
  it('accepts known fields of the right type and ignores unknown fields', () => {
    expect(
      validateProxyConfig({
        holdApplicationUntilProxyStarts: true,
        terminationDrainDuration: '5s',
        drainDuration: '45s',
        proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: 'true' },
        statusPort: '15021',
        concurrency: 2,
        interceptionMode: 'TPROXY',
        somethingIstioAddsLater: { any: 'thing' },
      }),
    ).toEqual([]);
    expect(validateProxyConfig(null)).toEqual([]);
  });

  it('reports wrong types and out-of-range values', () => {
    expect(
      validateProxyConfig({
        holdApplicationUntilProxyStarts: 'true',
        terminationDrainDuration: 5,
        drainDuration: '1500ms',
        proxyMetadata: { EXIT_ON_ZERO_ACTIVE_CONNECTIONS: true },
        statusPort: 65536,
        concurrency: 1.5,
        interceptionMode: 'redirect',
        extraStatTags: 'a,b',
      }),
    ).toEqual([
      'holdApplicationUntilProxyStarts: must be true or false (unquoted), got the string "true"',
      'terminationDrainDuration: must be a duration string such as "5s", got number 5',
      'drainDuration: "1500ms" is not a whole number of seconds; Istio requires seconds precision here',
      'proxyMetadata: EXIT_ON_ZERO_ACTIVE_CONNECTIONS must be a string (quote it, e.g. "true"), got boolean true',
      'statusPort: must be between 1 and 65535, got 65536',
      'concurrency: must be an integer, got number 1.5',
      'interceptionMode: must be REDIRECT, TPROXY or NONE, got the string "redirect"',
      'extraStatTags: must be a list of strings, got the string "a,b"',
    ]);
    expect(validateProxyConfig('holdApplicationUntilProxyStarts')).toEqual([
      'ProxyConfig must be an object of fields, got the string "holdApplicationUntilProxyStarts"',
    ]);
  });
});

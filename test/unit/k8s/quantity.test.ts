import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareQuantities,
  isValidQuantity,
  MAX_QUANTITY_LENGTH,
  parseQuantity,
} from '../../../src/k8s/quantity.js';

const MAX_INT64 = 2n ** 63n - 1n;

describe('parseQuantity', () => {
  it.each<[unknown, number]>([
    ['100m', 0.1],
    ['0.5', 0.5],
    ['1', 1],
    [1, 1],
    [0.5, 0.5],
    [1e3, 1000],
    ['128Mi', 134_217_728],
    ['1Gi', 1_073_741_824],
    ['1G', 1e9],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['1e-3', 0.001],
    ['1.5Ki', 1536],
    ['0.5Ki', 512],
    ['2k', 2000],
    ['5n', 5e-9],
    ['250u', 0.00025],
    ['3M', 3e6],
    ['2T', 2e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ei', 2 ** 60],
    ['+1', 1],
    ['-1', -1],
    ['-500m', -0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['0', 0],
    ['-0', 0],
    ['000123', 123],
    // The apiserver keeps nine fractional digits and rounds away from zero.
    ['0.1n', 1e-9],
    ['-0.1n', -1e-9],
    ['1.0000000001', 1.000000001],
    ['1e-2147483648', 1e-9],
    // Binary quantities are capped at 2^63-1.
    ['9Ei', Number(MAX_INT64)],
    ['1e400', Infinity],
  ])('parseQuantity(%j) is %d', (input, expected) => {
    expect(parseQuantity(input)).toBe(expected);
    expect(isValidQuantity(input)).toBe(true);
  });

  it.each<[unknown]>([
    ['abc'],
    ['1.2.3'],
    ['10 Mi'],
    [' 1'],
    ['1 '],
    ['1\n'],
    [''],
    ['.'],
    ['+'],
    ['-'],
    ['Mi'],
    ['1K'],
    ['1ki'],
    ['1mi'],
    ['1Kb'],
    ['1e'],
    ['1e3.5'],
    ['1e2147483648'],
    ['0x10'],
    ['1_000'],
    ['1,5'],
    ['--1'],
    ['1' + '0'.repeat(MAX_QUANTITY_LENGTH)],
    [Number.NaN],
    [Infinity],
    [null],
    [undefined],
    [true],
    [{}],
    [[1]],
    [10n],
  ])('rejects %s', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
    expect(isValidQuantity(input)).toBe(false);
  });
});

describe('compareQuantities', () => {
  it.each<[unknown, unknown, -1 | 0 | 1 | undefined]>([
    ['1Gi', '1024Mi', 0],
    ['0.1', '100m', 0],
    [0.1, '100m', 0],
    ['1', '1000m', 0],
    [1, '1', 0],
    ['1k', '1000', 0],
    ['1e3', '1k', 0],
    ['1E', '1e18', 0],
    ['1P', '1000T', 0],
    ['1.5Gi', '1536Mi', 0],
    ['0.000000001', '1n', 0],
    ['1Ki', '1k', 1],
    ['999m', '1', -1],
    ['-1', '1', -1],
    ['-2', '-1', -1],
    ['-1Gi', '-1G', -1],
    ['0', '-0', 0],
    ['0', '0.0000000001', -1],
    ['1e2147483647', '1e2147483646', 1],
    ['1e2147483647', '9e2147483646', 1],
    ['-1e2147483647', '1', -1],
    ['1e-2147483648', '1n', 0],
    ['1e-2147483648', '0', 1],
    // Both are above 2^63-1 and capped to it, as the apiserver does.
    ['9Ei', '10Ei', 0],
    ['7Ei', '8Ei', -1],
    ['abc', '1', undefined],
    ['1', null, undefined],
  ])('compareQuantities(%j, %j) is %s', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });

  it('orders quantities exactly like their nano-unit counts', () => {
    const nanos = fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n });
    fc.assert(
      fc.property(nanos, nanos, (left, right) => {
        const expected = left === right ? 0 : left < right ? -1 : 1;
        expect(compareQuantities(`${left}n`, formatAsBaseUnits(right))).toBe(expected);
        expect(compareQuantities(formatAsBaseUnits(right), `${left}n`)).toBe(-expected || 0);
      }),
    );
  });
});

/** Writes a nano-unit count as a plain decimal in base units: 1500000000n → "1.500000000". */
function formatAsBaseUnits(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const magnitude = nanos < 0n ? -nanos : nanos;
  const whole = magnitude / 10n ** 9n;
  const fraction = (magnitude % 10n ** 9n).toString().padStart(9, '0');
  return `${sign}${whole}.${fraction}`;
}

describe('quantity round-trips', () => {
  const integerSuffixes: [string, bigint, boolean][] = [
    ['', 1n, false],
    ['k', 10n ** 3n, false],
    ['M', 10n ** 6n, false],
    ['G', 10n ** 9n, false],
    ['T', 10n ** 12n, false],
    ['P', 10n ** 15n, false],
    ['E', 10n ** 18n, false],
    ['e3', 10n ** 3n, false],
    ['E12', 10n ** 12n, false],
    ['Ki', 2n ** 10n, true],
    ['Mi', 2n ** 20n, true],
    ['Gi', 2n ** 30n, true],
    ['Ti', 2n ** 40n, true],
    ['Pi', 2n ** 50n, true],
    ['Ei', 2n ** 60n, true],
  ];

  it('parses <n><suffix> as n times the suffix multiplier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.constantFrom(...integerSuffixes),
        (count, [suffix, multiplier, isBinary]) => {
          const exact = BigInt(count) * multiplier;
          const expected = isBinary && exact > MAX_INT64 ? MAX_INT64 : exact;
          const text = `${count}${suffix}`;
          expect(compareQuantities(text, expected.toString())).toBe(0);
          expect(parseQuantity(text)).toBe(Number(expected));
        },
      ),
    );
  });

  it('reads the same nano-unit amount identically in every notation', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 21n), max: 10n ** 21n }), (nanos) => {
        const micros = nanos / 1000n;
        const exactMicros = micros * 1000n === nanos;
        const notations = [`${nanos}n`, `${nanos}e-9`, formatAsBaseUnits(nanos)];
        if (exactMicros) notations.push(`${micros}u`);
        const expectedValue = Number(`${nanos}e-9`);
        for (const notation of notations) {
          expect(parseQuantity(notation)).toBe(expectedValue);
          expect(compareQuantities(notation, notations[0])).toBe(0);
        }
      }),
    );
  });

  it('reads YAML numbers as the quantity of their decimal text', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000_000, max: 1_000_000 }), (millis) => {
        expect(parseQuantity(millis / 1000)).toBe(parseQuantity(`${millis}m`));
        expect(compareQuantities(millis / 1000, `${millis}m`)).toBe(0);
      }),
    );
  });
});

/**
 * Kubernetes `resource.Quantity` (k8s.io/apimachinery/pkg/api/resource) for resource
 * requests and limits.
 *
 * Grammar, as documented on Quantity:
 *
 *     quantity        ::= signedNumber suffix
 *     signedNumber    ::= number | sign number          sign ::= "+" | "-"
 *     number          ::= digits | digits "." digits | digits "." | "." digits
 *     suffix          ::= binarySI | decimalExponent | decimalSI
 *     binarySI        ::= Ki | Mi | Gi | Ti | Pi | Ei
 *     decimalSI       ::= n | u | m | "" | k | M | G | T | P | E
 *     decimalExponent ::= "e" signedInteger | "E" signedInteger
 *
 * Values are in base units: cores for cpu, bytes for memory. Rules carried over from
 * apimachinery's ParseQuantity so that cronguard and the apiserver agree on edge cases:
 *
 * - `E` alone is the exa suffix (`1E` = 10^18); `e` alone is not a suffix (`1e` is invalid).
 * - The exponent must fit a signed 32-bit integer.
 * - Non-zero values are rounded away from zero to a whole nano-unit (`0.1n` becomes `1n`),
 *   because the apiserver stores at most nine fractional digits.
 * - Binary-suffixed values above 2^63-1 are capped at 2^63-1.
 * - Negative quantities are syntactically valid (`-1`, `-500m`) and are returned as
 *   negative numbers. Whether a negative request makes sense is for the caller to decide;
 *   the apiserver rejects them for container resources, but not as a Quantity.
 *
 * Deliberate difference: strings longer than {@link MAX_QUANTITY_LENGTH} characters are
 * rejected. A real quantity is a handful of characters; very long digit strings only make
 * BigInt arithmetic on untrusted input expensive.
 *
 * YAML turns `cpu: 1` and `cpu: 0.5` into numbers, so finite numbers are accepted and read
 * through their shortest decimal form (`0.1` is exactly the quantity "0.1").
 */

export const MAX_QUANTITY_LENGTH = 256;

/** value = (negative ? -1 : 1) × coefficient × 10^exponent10 × 2^exponent2, exactly. */
interface ExactQuantity {
  negative: boolean;
  coefficient: bigint;
  exponent10: number;
  exponent2: number;
}

const DECIMAL_SI_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);

const BINARY_SI_EXPONENTS: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const NANO_EXPONENT = -9;
const MAX_BINARY_VALUE = 2n ** 63n - 1n;
const LOG10_OF_2 = Math.log10(2);

// Both patterns are fixed and anchored; the inputs they see are capped at MAX_QUANTITY_LENGTH.
const NUMBER_AND_SUFFIX = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;
const DECIMAL_EXPONENT_SUFFIX = /^[eE]([+-]?[0-9]+)$/;

/** The value in base units (cores, bytes), or undefined when `input` is not a quantity. */
export function parseQuantity(input: unknown): number | undefined {
  const exact = readQuantity(input);
  return exact === undefined ? undefined : toNumber(exact);
}

export function isValidQuantity(input: unknown): boolean {
  return readQuantity(input) !== undefined;
}

/**
 * Compares two quantities exactly (no floating point): `1Gi` equals `1024Mi` and `0.1`
 * equals `100m`. Undefined when either side is not a valid quantity.
 */
export function compareQuantities(a: unknown, b: unknown): -1 | 0 | 1 | undefined {
  const left = readQuantity(a);
  const right = readQuantity(b);
  if (left === undefined || right === undefined) return undefined;
  const leftSign = signOf(left);
  const rightSign = signOf(right);
  if (leftSign !== rightSign) return leftSign < rightSign ? -1 : 1;
  if (leftSign === 0) return 0;
  const magnitudeOrder = compareMagnitudes(left, right);
  return leftSign < 0 ? negateOrder(magnitudeOrder) : magnitudeOrder;
}

function readQuantity(input: unknown): ExactQuantity | undefined {
  let text: string;
  if (typeof input === 'string') text = input;
  else if (typeof input === 'number' && Number.isFinite(input)) text = String(input);
  else return undefined;
  if (text.length === 0 || text.length > MAX_QUANTITY_LENGTH) return undefined;

  const match = NUMBER_AND_SUFFIX.exec(text);
  if (match === null) return undefined;
  const [, sign = '', integerDigits = '', fractionDigits = '', suffix = ''] = match;
  if (integerDigits.length + fractionDigits.length === 0) return undefined;

  const scale = readSuffix(suffix);
  if (scale === undefined) return undefined;

  const parsed: ExactQuantity = {
    negative: sign === '-',
    coefficient: BigInt(integerDigits + fractionDigits),
    exponent10: scale.exponent10 - fractionDigits.length,
    exponent2: scale.exponent2,
  };
  return applyApiserverLimits(parsed, scale.exponent2 > 0);
}

function readSuffix(suffix: string): { exponent10: number; exponent2: number } | undefined {
  const decimal = DECIMAL_SI_EXPONENTS.get(suffix);
  if (decimal !== undefined) return { exponent10: decimal, exponent2: 0 };
  const binary = BINARY_SI_EXPONENTS.get(suffix);
  if (binary !== undefined) return { exponent10: 0, exponent2: binary };
  const exponentMatch = DECIMAL_EXPONENT_SUFFIX.exec(suffix);
  if (exponentMatch === null) return undefined;
  const exponent = Number(exponentMatch[1]);
  if (!Number.isInteger(exponent) || exponent < INT32_MIN || exponent > INT32_MAX) return undefined;
  return { exponent10: exponent, exponent2: 0 };
}

/** Nano rounding, then the binary cap, in the order ParseQuantity applies them. */
function applyApiserverLimits(quantity: ExactQuantity, isBinary: boolean): ExactQuantity {
  if (quantity.coefficient === 0n) {
    return { negative: false, coefficient: 0n, exponent10: 0, exponent2: 0 };
  }
  const rounded = roundUpToNano(quantity);
  if (isBinary && exceedsMaxBinaryValue(rounded)) {
    return {
      negative: rounded.negative,
      coefficient: MAX_BINARY_VALUE,
      exponent10: 0,
      exponent2: 0,
    };
  }
  return rounded;
}

function roundUpToNano(quantity: ExactQuantity): ExactQuantity {
  const fractionalNanoDigits = NANO_EXPONENT - quantity.exponent10;
  // Whole number of nano-units already (exponent2 is never negative).
  if (fractionalNanoDigits <= 0) return quantity;
  const scaled = quantity.coefficient << BigInt(quantity.exponent2);
  let nanos: bigint;
  if (fractionalNanoDigits > scaled.toString().length) {
    // Non-zero but smaller than one nano-unit: rounds up to exactly one, and skipping the
    // division avoids building 10^n for an exponent like `1e-2000000000`.
    nanos = 1n;
  } else {
    const divisor = 10n ** BigInt(fractionalNanoDigits);
    nanos = (scaled + divisor - 1n) / divisor;
  }
  return {
    negative: quantity.negative,
    coefficient: nanos,
    exponent10: NANO_EXPONENT,
    exponent2: 0,
  };
}

function exceedsMaxBinaryValue(quantity: ExactQuantity): boolean {
  const magnitude: ExactQuantity = { ...quantity, negative: false };
  const max: ExactQuantity = {
    negative: false,
    coefficient: MAX_BINARY_VALUE,
    exponent10: 0,
    exponent2: 0,
  };
  return compareMagnitudes(magnitude, max) > 0;
}

function signOf(quantity: ExactQuantity): -1 | 0 | 1 {
  if (quantity.coefficient === 0n) return 0;
  return quantity.negative ? -1 : 1;
}

function negateOrder(order: -1 | 0 | 1): -1 | 0 | 1 {
  if (order === 0) return 0;
  return order < 0 ? 1 : -1;
}

/** Compares |left| with |right| for non-zero quantities. */
function compareMagnitudes(left: ExactQuantity, right: ExactQuantity): -1 | 0 | 1 {
  // Decide by order of magnitude first: exponents can be as large as 2^31, and building
  // 10^2147483647 as a BigInt would hang. Only when both values are within a couple of
  // decades of each other (so the exponent gap is bounded by the digit counts, which the
  // length cap bounds) is it safe to scale them to a common exponent and compare exactly.
  const leftRange = log10Range(left);
  const rightRange = log10Range(right);
  if (leftRange.upper + 1 < rightRange.lower) return -1;
  if (rightRange.upper + 1 < leftRange.lower) return 1;

  const commonExponent10 = Math.min(left.exponent10, right.exponent10);
  const commonExponent2 = Math.min(left.exponent2, right.exponent2);
  const leftScaled = scaleTo(left, commonExponent10, commonExponent2);
  const rightScaled = scaleTo(right, commonExponent10, commonExponent2);
  if (leftScaled === rightScaled) return 0;
  return leftScaled < rightScaled ? -1 : 1;
}

function log10Range(quantity: ExactQuantity): { lower: number; upper: number } {
  const digitCount = quantity.coefficient.toString().length;
  const base = quantity.exponent10 + quantity.exponent2 * LOG10_OF_2;
  return { lower: digitCount - 1 + base, upper: digitCount + base };
}

function scaleTo(quantity: ExactQuantity, exponent10: number, exponent2: number): bigint {
  const decimalShift = BigInt(quantity.exponent10 - exponent10);
  const binaryShift = BigInt(quantity.exponent2 - exponent2);
  return (quantity.coefficient * 10n ** decimalShift) << binaryShift;
}

function toNumber(quantity: ExactQuantity): number {
  if (quantity.coefficient === 0n) return 0;
  // Parsing "<digits>e<exponent>" rounds once, correctly; multiplying by a power of two
  // is exact, so the result is the nearest double to the exact value (or ±Infinity).
  const magnitude =
    Number(`${quantity.coefficient.toString()}e${quantity.exponent10}`) * 2 ** quantity.exponent2;
  return quantity.negative ? -magnitude : magnitude;
}

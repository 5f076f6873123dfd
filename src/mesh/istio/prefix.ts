/**
 * Go's `netip.ParsePrefix`, reimplemented because Istio's injector parses the
 * `traffic.sidecar.istio.io/*OutboundIPRanges` annotations with it and rejects the
 * pod when one element fails: we must accept exactly what it accepts. Notable
 * strictness carried over: no spaces, no IPv4 octets with leading zeros, no IPv6
 * zones, no leading zeros or sign in the prefix length. Host bits may be set
 * (`10.0.0.1/8` parses; Go keeps the address as written).
 *
 * Returns undefined when `text` is a valid prefix, else Go's reason.
 */
export function prefixError(text: string): string | undefined {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return "no '/'";
  const addressText = text.slice(0, slash);
  const address = parseAddress(addressText);
  if (typeof address === 'string') return address;
  if (address.zoned) return 'IPv6 zones cannot be present in a prefix';

  const bitsText = text.slice(slash + 1);
  // Go refuses what strconv.Atoi would allow: a sign, and leading zeros.
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText))
    return `bad bits after slash: ${JSON.stringify(bitsText)}`;
  const bits = Number(bitsText);
  const maxBits = address.family === 4 ? 32 : 128;
  if (bits > maxBits) return 'prefix length out of range';
  return undefined;
}

interface ParsedAddress {
  family: 4 | 6;
  zoned: boolean;
}

/** Go's `netip.ParseAddr`: the first `.` or `:` decides the family. */
function parseAddress(text: string): ParsedAddress | string {
  for (const char of text) {
    if (char === '.') return ipv4Error(text) ?? { family: 4, zoned: false };
    if (char === ':') return parseIPv6(text);
    if (char === '%') return 'missing IPv6 address';
  }
  return 'unable to parse IP';
}

function ipv4Error(text: string): string | undefined {
  if (/[^0-9.]/.test(text)) return 'unexpected character';
  const fields = text.split('.');
  if (fields.length !== 4) return 'IPv4 address too short or too long';
  for (const field of fields) {
    if (field === '') return 'IPv4 field must have at least one digit';
    if (!/^[0-9]+$/.test(field)) return 'unexpected character';
    if (field.length > 1 && field.startsWith('0')) return 'IPv4 field has octet with leading zero';
    if (field.length > 3 || Number(field) > 255) return 'IPv4 field has value >255';
  }
  return undefined;
}

/** RFC 4291 text form: hex groups, at most one `::`, an optional trailing IPv4, an optional zone. */
function parseIPv6(input: string): ParsedAddress | string {
  let text = input;
  let zoned = false;
  const percent = text.indexOf('%');
  if (percent >= 0) {
    if (percent === text.length - 1) return 'zone must be a non-empty string';
    text = text.slice(0, percent);
    zoned = true;
  }
  const halves = text.split('::');
  if (halves.length > 2) return 'multiple :: in address';
  const hasEllipsis = halves.length === 2;
  const groups: string[] = [];
  for (const half of halves) if (half !== '') groups.push(...half.split(':'));
  let groupCount = 0;
  for (let index = 0; index < groups.length; index++) {
    const group = groups[index] as string;
    const isLast = index === groups.length - 1;
    if (isLast && group.includes('.')) {
      const error = ipv4Error(group);
      if (error !== undefined) return error;
      groupCount += 2;
      continue;
    }
    if (group === '') return 'colon must be followed by more characters';
    if (!/^[0-9a-fA-F]+$/.test(group)) return 'unexpected character';
    if (group.length > 4) return 'IPv6 field has value >=2^16';
    groupCount++;
  }
  if (hasEllipsis ? groupCount > 7 : groupCount !== 8) {
    return hasEllipsis ? 'too many fields' : 'address string too short';
  }
  return { family: 6, zoned };
}

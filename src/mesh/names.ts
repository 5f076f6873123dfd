/**
 * "Did you mean" for mesh annotation keys. Keys are `prefix/name`; a misspelling
 * is usually in the name (`sidecar.istio.io/proxyCpu`) or a name under the wrong
 * prefix (`sidecar.istio.io/excludeOutboundPorts`), so both are tried before the
 * whole key, and the edit-distance budget applies to the name alone (a whole key
 * is long enough that its budget would admit unrelated names).
 */
import { closestName } from '../policy/schema.js';

export function splitKey(key: string): { prefix: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { prefix: '', name: key }
    : { prefix: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The known key `key` most likely meant, or undefined when none is close. */
export function suggestKey(key: string, known: Iterable<string>): string | undefined {
  const { prefix, name } = splitKey(key);
  const samePrefix: string[] = [];
  const elsewhere = new Map<string, string>();
  for (const candidate of known) {
    if (candidate === key) return undefined;
    const parts = splitKey(candidate);
    if (parts.prefix === prefix) samePrefix.push(parts.name);
    else if (parts.name === name) elsewhere.set(parts.name, candidate);
  }
  const closest = closestName(name, samePrefix);
  if (closest !== undefined) return prefix === '' ? closest : `${prefix}/${closest}`;
  return elsewhere.get(name);
}

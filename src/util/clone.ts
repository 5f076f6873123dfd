/**
 * Deep copy of JSON-shaped data (what YAML and JSON manifests parse to). About
 * ten times cheaper than structuredClone for such objects, which matters because
 * the engine copies every object it evaluates. Keys are copied as own data
 * properties, so a `__proto__` key stays a key and never becomes a prototype.
 */
export function cloneJson<T>(value: T): T {
  return cloneValue(value) as T;
}

function cloneValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let index = 0; index < value.length; index++) copy[index] = cloneValue(value[index]);
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = cloneValue((value as Record<string, unknown>)[key]);
    if (key === '__proto__') {
      Object.defineProperty(copy, key, {
        value: child,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    } else {
      copy[key] = child;
    }
  }
  return copy;
}

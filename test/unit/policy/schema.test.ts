import { describe, expect, it } from 'vitest';
import { closestName, describeSchema, POLICY_SCHEMA } from '../../../src/policy/schema.js';

type Schema = Record<string, unknown>;

/** Every subschema, with a readable path, so a test can state a rule about all of them. */
function* subschemas(schema: unknown, path = '#'): Generator<[string, Schema]> {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    for (const [index, item] of (schema as unknown[]).entries())
      yield* subschemas(item, `${path}/${index}`);
    return;
  }
  yield [path, schema as Schema];
  for (const [key, value] of Object.entries(schema as Schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      for (const [name, child] of Object.entries(value))
        yield* subschemas(child, `${path}/properties/${name}`);
    } else if (['items', 'additionalProperties', 'not', 'anyOf', 'oneOf'].includes(key)) {
      yield* subschemas(value, `${path}/${key}`);
    }
  }
}

describe('POLICY_SCHEMA', () => {
  const all = [...subschemas(POLICY_SCHEMA)];

  it('closes every object that declares fields, so typos are errors', () => {
    const open = all.filter(
      ([, schema]) =>
        schema.type === 'object' &&
        schema.properties !== undefined &&
        schema.additionalProperties !== false &&
        // The `{required, properties: {key: true}}` branches of oneOf/not only test presence.
        !Object.values(schema.properties as Schema).every((property) => property === true),
    );
    expect(open.map(([path]) => path)).toEqual([]);
  });

  it('describes every field for editors', () => {
    const undocumented = all.filter(
      ([path, schema]) => /\/properties\/[^/]+$/.test(path) && schema.description === undefined,
    );
    expect(undocumented.map(([path]) => path)).toEqual([]);
  });

  it('caps every list', () => {
    const uncapped = all.filter(
      ([, schema]) => schema.type === 'array' && schema.maxItems === undefined,
    );
    expect(uncapped.map(([path]) => path)).toEqual([]);
  });
});

describe('describeSchema', () => {
  it.each([
    [{ type: 'integer', minimum: 0, maximum: 2147483647 }, undefined, 'an integer >= 0'],
    [
      { type: 'integer', minimum: 0, maximum: 2147483647 },
      'maximum',
      'an integer between 0 and 2147483647',
    ],
    [{ type: 'number', minimum: 1, maximum: 10 }, undefined, 'a number between 1 and 10'],
    [
      { type: 'string', enum: ['enforce', 'warn', 'audit'] },
      undefined,
      'one of enforce, warn, audit',
    ],
    [{ type: 'string', enum: ['restricted'] }, undefined, '"restricted"'],
    [{ type: ['string', 'number'] }, undefined, 'a string or a number'],
    [{ type: 'object', required: ['name'] }, undefined, 'a mapping with name'],
    [{ type: 'boolean' }, undefined, 'true or false'],
  ])('describes %j as %s', (schema, failedKeyword, words) => {
    expect(describeSchema(schema, failedKeyword)).toBe(words);
  });
});

describe('closestName', () => {
  const fields = ['priority', 'action', 'match', 'exclude', 'schedule', 'job', 'images'];

  it.each([
    ['shedule', 'schedule'],
    ['actoin', 'action'],
    ['Job', 'job'],
    ['imgaes', 'images'],
  ])('suggests %s → %s', (typo, suggestion) => {
    expect(closestName(typo, fields)).toBe(suggestion);
  });

  it.each(['xyz', 'mesh', 'totally-different'])('suggests nothing for %s', (name) => {
    expect(closestName(name, fields)).toBeUndefined();
  });
});

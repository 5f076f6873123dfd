import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../src/cli/policies.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { UserError } from '../../src/errors.js';
import type { KubeObject } from '../../src/k8s/types.js';
import { MAX_POLICY_FILE_BYTES, MAX_POLICY_FILES } from '../../src/policy/load-files.js';
import { POLICY_LIMITS, loadPolicies, type PolicySource } from '../../src/policy/index.js';
import type { PolicySet } from '../../src/policy/types.js';
import { BUILTIN_RULES, BUILTIN_RULE_IDS } from '../../src/rules/index.js';
import { globMatch } from '../../src/util/glob.js';
import { cronJobArbitrary } from '../support/arbitraries.js';
import { fuzzParameters } from './support.js';

/**
 * Hostile policies through the real loaders (files on disk via loadPolicySet, texts via
 * loadPolicies): each is refused with an error that names the file, line, column and
 * limit, or loads and evaluates in bounded time. Policies are written by platform
 * admins, but a policy ConfigMap is only as safe as the RBAC on it, and a mistake (a
 * generated file, a runaway glob) must not take the admission path down.
 */

/** A generous bound for work that must stay far from the webhook's 10 s timeout. */
const BUDGET_MS = 10_000;

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'cronguard-hostile-policies-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function policy(name: string, spec = 'action: warn'): string {
  return `apiVersion: cronguard.dev/v1alpha1\nkind: CronJobPolicy\nmetadata:\n  name: ${name}\nspec:\n  ${spec}\n`;
}

let fileCount = 0;

/** Writes `files` into a fresh directory under the test's temporary one. */
async function policyDirectory(files: Record<string, string>): Promise<string> {
  const target = join(directory, `set-${fileCount++}`);
  await mkdir(target, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(target, name), text);
  return target;
}

/** The located error lines loadPolicySet refused the set with (`file:line:column: message`). */
async function refusal(paths: readonly string[]): Promise<string[]> {
  const error: unknown = await loadPolicySet(paths).then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error, 'the set is refused').toBeInstanceOf(UserError);
  const details = (error as UserError).details;
  expect((error as UserError).message).toMatch(/no policy was applied/);
  for (const line of details) expect(line).toMatch(/^.+:\d+:\d+: \S/);
  return [...details];
}

function loadTexts(sources: PolicySource[]) {
  return loadPolicies(sources, { knownRuleIds: BUILTIN_RULE_IDS });
}

function timed<T>(work: () => T): { result: T; ms: number } {
  const started = performance.now();
  const result = work();
  return { result, ms: performance.now() - started };
}

const cronJob = (name: string, namespace = 'team-a'): KubeObject => {
  const object: KubeObject = structuredClone(
    fc.sample(cronJobArbitrary, { numRuns: 1, seed: 3 })[0]!,
  );
  object.metadata = { ...(object.metadata as object), name, namespace };
  return object;
};

function evaluateOnce(policySet: PolicySet, object: KubeObject) {
  const namespace = (object.metadata as { namespace: string }).namespace;
  return evaluate(policySet, { object, operation: 'CREATE', namespace }, { rules: BUILTIN_RULES });
}

describe('globs', () => {
  it(`loads a glob at the limit (${POLICY_LIMITS.maxGlobLength} characters, ${POLICY_LIMITS.maxGlobStars} stars) and refuses one beyond it, located`, async () => {
    const atLimit = 'a'.repeat(POLICY_LIMITS.maxGlobLength - POLICY_LIMITS.maxGlobStars);
    const ok = `${atLimit}${'*'.repeat(POLICY_LIMITS.maxGlobStars)}`;
    const loaded = await loadPolicySet([
      await policyDirectory({
        'p.yaml': policy('at-limit', `action: warn\n  match: {names: ["${ok}"]}`),
      }),
    ]);
    expect(loaded.policies).toHaveLength(1);

    const tooLong = 'a'.repeat(POLICY_LIMITS.maxGlobLength + 1);
    const tooStarry = '*a'.repeat(POLICY_LIMITS.maxGlobStars + 1);
    const spec = `action: warn\n  match: {names: ["${tooLong}", "${tooStarry}"]}`;
    const lines = await refusal([await policyDirectory({ 'p.yaml': policy('beyond', spec) })]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /p\.yaml:7:\d+: spec\.match\.names\[0\]: expected a glob .* at most 253 characters and at most 16 '\*'/,
    );
    expect(lines[1]).toMatch(/p\.yaml:7:\d+: spec\.match\.names\[1\]: expected a glob/);
  });

  it('matches backtracking-prone globs against 3 MB names in linear time', () => {
    // Found here: the previous matcher took O(glob × text), 6 s for one such glob
    // against a 3 MiB name (the largest body the webhook reads). Names are only
    // validated after admission, so the webhook sees such names as they are sent.
    const literal = 'a'.repeat(POLICY_LIMITS.maxGlobLength - 2);
    // Six variants of the worst case for a retry-the-last-star matcher: about 6 s each
    // before, so the evaluation below took over 30 s; now each is one linear scan.
    const globs = [
      ...['b', 'c', 'd', 'e', 'f', 'g'].map((last) => `*${literal}${last}`),
      '*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b',
      `*${'a?'.repeat(100)}*b`,
      `a*${'a'.repeat(200)}*b*`,
    ];
    const list = globs.map((glob) => `"${glob}"`).join(', ');
    const policySet = loadTexts([
      {
        file: 'evil.yaml',
        text: policy(
          'evil-globs',
          `action: enforce\n  match: {names: [${list}], namespaces: [${list}]}\n  exclude: {names: [${list}]}`,
        ),
      },
    ]);
    expect(policySet.errors).toEqual([]);
    const name = 'a'.repeat(3_000_000);
    const { result, ms } = timed(() => evaluateOnce(policySet, cronJob(name, name)));
    expect(result.policies[0]?.matched).toBe(false);
    expect(ms, 'evaluation within the webhook budget').toBeLessThan(BUDGET_MS);
    expect(globMatch(globs[0]!, `${name}b`)).toBe(true);
    expect(globMatch(globs[7]!, `${name}b`)).toBe(true);
  });

  it('agrees with a dynamic-programming matcher on long texts and long segments', () => {
    // test/unit/k8s/glob.test.ts covers short inputs; these reach the bit-parallel
    // search (text × segment above its threshold, segments over 32 characters).
    const segment = fc.string({ unit: fc.constantFrom('a', 'a', 'a', '?', 'b'), maxLength: 70 });
    const pattern = fc
      .array(segment, { minLength: 1, maxLength: 5 })
      .map((parts) => parts.join('*'));
    const text = fc.string({
      unit: fc.constantFrom('a', 'a', 'a', 'a', 'b'),
      minLength: 100,
      maxLength: 400,
    });
    const outcomes = new Set<boolean>();
    fc.assert(
      fc.property(pattern, text, (glob, subject) => {
        const expected = referenceGlobMatch(glob, subject);
        outcomes.add(expected);
        expect(globMatch(glob, subject)).toBe(expected);
      }),
      fuzzParameters(300),
    );
    // Both answers were exercised, or the property proves little.
    expect([...outcomes].sort()).toEqual([false, true]);
  });
});

/** Textbook O(pattern × text) matcher, the oracle. */
function referenceGlobMatch(pattern: string, text: string): boolean {
  const p = Array.from(pattern);
  const t = Array.from(text);
  let previous = new Array<boolean>(t.length + 1).fill(false);
  previous[0] = true;
  for (const char of p) {
    const current = new Array<boolean>(t.length + 1).fill(false);
    for (let j = 0; j <= t.length; j++) {
      if (char === '*') current[j] = previous[j]! || (j > 0 && current[j - 1]!);
      else if (j > 0 && (char === '?' || char === t[j - 1])) current[j] = previous[j - 1]!;
    }
    previous = current;
  }
  return previous[t.length]!;
}

describe('YAML that expands or nests', () => {
  it('refuses policies nested deeper than the limit, in block and in flow style, located', async () => {
    const block = (levels: number): string =>
      Array.from({ length: levels }, (_, level) => `${'  '.repeat(level + 2)}k${level}:`).join(
        '\n',
      ) + ' 1\n';
    const deepBlock = policy('deep-block', `action: warn\n  ruleActions:\n${block(40)}`);
    const deepFlow = policy(
      'deep-flow',
      `action: warn\n  nonExemptible: ${'['.repeat(200)}${']'.repeat(200)}`,
    );
    const deeper = policy('deeper', `action: warn\n  nonExemptible: ${'['.repeat(100_000)}`);
    const lines = await refusal([
      await policyDirectory({
        'a-block.yaml': deepBlock,
        'b-flow.yaml': deepFlow,
        'c-deeper.yaml': deeper,
      }),
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /a-block\.yaml:\d+:\d+: spec\.ruleActions\.k0.*nested deeper than 32 levels/,
    );
    // js-yaml stops composing at its own depth limit (100) before the loader's check.
    expect(lines[1]).toMatch(/b-flow\.yaml:7:\d+: .*maxDepth \(100\)/);
    expect(lines[2]).toMatch(/c-deeper\.yaml:7:\d+: .*maxDepth \(100\)/);
  });

  it('refuses alias bombs ("billion laughs") and recursive aliases, located, quickly', async () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 10; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      laughs.push(`${name}: &${name} [${Array(10).fill(`*${previous}`).join(',')}]`);
    }
    const bomb = `${policy('bomb', 'action: warn')}  x-bomb:\n${laughs.map((line) => `    ${line}`).join('\n')}\n`;
    const mergeBomb = [
      'base: &m0 {k: v}',
      ...Array.from(
        { length: 20 },
        (_, index) =>
          `m${index + 1}: &m${index + 1} {<<: [*m${index}], k${index}: [*m${index}, *m${index}]}`,
      ),
    ];
    const merges = `${policy('merges', 'action: warn')}  x-merges:\n${mergeBomb.map((line) => `    ${line}`).join('\n')}\n`;
    const recursive = `${policy('loop', 'action: warn')}  nonExemptible: &loop [*loop]\n`;
    const { result: lines, ms } = await timedAsync(async () =>
      refusal([
        await policyDirectory({
          'a-bomb.yaml': bomb,
          'b-merge.yaml': merges,
          'c-loop.yaml': recursive,
        }),
      ]),
    );
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      /a-bomb\.yaml:1:1: document 1 expands to more than \d+ nodes through YAML aliases/,
    );
    expect(lines[1]).toMatch(/b-merge\.yaml:1:1: document 1 expands to more than \d+ nodes/);
    expect(lines[2]).toMatch(/c-loop\.yaml:\d+:\d+: .*(never ends|alias)/);
    expect(ms).toBeLessThan(BUDGET_MS);
  });
});

async function timedAsync<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('size', () => {
  it('refuses a 50 MB policy file without reading it, and a 50 MB text without parsing it', async () => {
    const target = await policyDirectory({ 'ok.yaml': policy('fine') });
    const huge = join(target, 'huge.yaml');
    await writeFile(huge, policy('huge'));
    await truncate(huge, 50 * 1024 * 1024);
    const lines = await refusal([target]);
    expect(lines).toEqual([
      `${huge}:1:1: file is too large for a policy file (${50 * 1024 * 1024} bytes; at most ${MAX_POLICY_FILE_BYTES})`,
    ]);

    const text = policy('huge') + '#'.repeat(50 * 1024 * 1024);
    const { result, ms } = timed(() => loadTexts([{ file: 'huge.yaml', text }]));
    expect(result.policies).toEqual([]);
    expect(result.errors).toEqual([
      {
        file: 'huge.yaml',
        line: 1,
        column: 1,
        message: `policy file too large: ${text.length} characters, the limit is ${POLICY_LIMITS.maxSourceCharacters} per file`,
      },
    ]);
    // Parsing 50 MB would take seconds; refusing it takes nothing.
    expect(ms).toBeLessThan(1_000);
  });

  it(`refuses texts over ${POLICY_LIMITS.maxTotalCharacters} characters together, naming the file that crossed it`, () => {
    const padding = '#'.repeat(POLICY_LIMITS.maxSourceCharacters - 200);
    const sources = Array.from({ length: 6 }, (_, index) => ({
      file: `big-${index}.yaml`,
      text: `${policy(`big-${index}`)}${padding}`,
    }));
    const { policies, errors } = loadTexts(sources);
    expect(policies).toEqual([]);
    expect(errors).toEqual([
      {
        file: 'big-4.yaml',
        line: 1,
        column: 1,
        message: `policy files too large together: more than ${POLICY_LIMITS.maxTotalCharacters} characters with this one; it and any after it were not read`,
      },
    ]);
  });
});

describe('count', () => {
  const many = (count: number, prefix: string): string =>
    Array.from({ length: count }, (_, index) => policy(`${prefix}-${index}`)).join('---\n');

  it(`refuses 5,000 policies in one file at the ${POLICY_LIMITS.maxPolicies + 1}st, located`, async () => {
    const text = many(5_000, 'one-file');
    const lines = await refusal([await policyDirectory({ 'many.yaml': text })]);
    const line = 1 + POLICY_LIMITS.maxPolicies * 7;
    expect(lines).toEqual([
      `${join(directory, `set-${fileCount - 1}`, 'many.yaml')}:${line}:1: too many policies: at most ${POLICY_LIMITS.maxPolicies} can be loaded together`,
    ]);
  });

  it('refuses 5,000 policies across files, and more files than the reader takes', async () => {
    const files: Record<string, string> = {};
    for (let index = 0; index < 250; index++)
      files[`p-${String(index).padStart(3, '0')}.yaml`] = many(20, `file-${index}`);
    const lines = await refusal([await policyDirectory(files)]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /p-050\.yaml:1:1: too many policies: at most 1000 can be loaded together/,
    );

    const tooManyFiles: Record<string, string> = {};
    for (let index = 0; index <= MAX_POLICY_FILES; index++)
      tooManyFiles[`f-${String(index).padStart(4, '0')}.yaml`] = policy(`f-${index}`);
    const fileLines = await refusal([await policyDirectory(tooManyFiles)]);
    expect(fileLines).toEqual([
      expect.stringMatching(/f-1000\.yaml:1:1: too many policy files: at most 1000 are read$/),
    ]);
  }, 120_000);

  it('refuses duplicate names across files and unknown fields, each located', async () => {
    const lines = await refusal([
      await policyDirectory({
        'a.yaml': policy('same'),
        'b.yaml': `# the same name again\n${policy('same', 'action: warn\n  shedule: {}\n  __proto__: {polluted: yes}')}`,
      }),
    ]);
    expect(lines).toEqual([
      expect.stringMatching(
        /b\.yaml:8:3: spec\.shedule: unknown field \(did you mean "schedule"\?\)$/,
      ),
      expect.stringMatching(
        /b\.yaml:9:3: spec\.__proto__: unknown field \(expected one of priority, /,
      ),
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const duplicates = await refusal([
      await policyDirectory({ 'a.yaml': policy('same'), 'b.yaml': `\n${policy('same')}` }),
    ]);
    expect(duplicates).toEqual([
      expect.stringMatching(
        /b\.yaml:5:3: metadata\.name: policy "same" is already defined at .*a\.yaml:4:3; policy names must be unique$/,
      ),
    ]);
  });
});

describe('evaluation with the largest policy set', () => {
  it(`evaluates a CronJob against ${POLICY_LIMITS.maxPolicies} policies (time printed, not asserted)`, () => {
    const sections = [
      'action: warn\n  match: {names: ["*-batch-*", "nightly-*"], namespaces: ["team-*"]}',
      'action: warn\n  job: {concurrencyPolicy: {default: Forbid}, backoffLimit: {max: 6}}',
      'action: audit\n  securityContext: {profile: restricted}',
      'action: warn\n  resources: {defaults: {requests: {cpu: 100m, memory: 64Mi}}}',
      'action: enforce\n  images: {disallowLatest: true}\n  exclude: {namespaces: ["kube-*"]}',
    ];
    const text = Array.from({ length: POLICY_LIMITS.maxPolicies }, (_, index) =>
      policy(`p-${index}`, `priority: ${index % 50}\n  ${sections[index % sections.length]!}`),
    ).join('---\n');
    const loading = timed(() => loadTexts([{ file: 'thousand.yaml', text }]));
    expect(loading.result.errors).toEqual([]);
    expect(loading.result.policies).toHaveLength(POLICY_LIMITS.maxPolicies);
    const evaluation = timed(() => evaluateOnce(loading.result, cronJob('nightly-report')));
    expect(evaluation.result.policies).toHaveLength(POLICY_LIMITS.maxPolicies);
    console.log(
      `${POLICY_LIMITS.maxPolicies} policies: loaded in ${Math.round(loading.ms)} ms, one evaluate() in ${Math.round(evaluation.ms)} ms`,
    );
  });
});

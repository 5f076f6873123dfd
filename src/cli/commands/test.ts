import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { deepEqual } from '../../engine/patch.js';
import { UserError } from '../../errors.js';
import { isPlainObject } from '../../k8s/types.js';
import { loadManifests, parseManifestText, type ManifestDocument } from '../../manifests/index.js';
import type { ClusterFacts } from '../../mesh/types.js';
import { pointerToFieldPath } from '../../util/json-pointer.js';
import type { CliIo } from '../io.js';
import { parseKubernetesVersion, parseOperation } from '../options.js';
import { evaluateDocuments } from '../pipeline.js';
import { loadPolicySet } from '../policies.js';
import { unifiedDiff } from '../text-diff.js';
import yaml from 'js-yaml';

export const TEST_USAGE = `Usage: cronguard test DIR|FILE ... [--json] [--kubernetes-version V]

Runs policy test suites: files of kind PolicyTest (apiVersion cronguard.dev/v1alpha1)
found under DIR. Each case evaluates one resource and compares, exactly, the
findings (as a set) and the mutated object with what the suite expects.
See docs/policy-tests.md for the format. --kubernetes-version gives the
cluster's version to the mesh rules (native sidecars); default unknown.

Exit codes: 0 all cases pass, 1 a case failed, 2 a suite is invalid.`;

interface ExpectedFinding {
  rule: string;
  field: string;
  action?: string;
  policy?: string;
  message?: string;
  container?: string;
}

interface TestCase {
  name: string;
  resource: { kind: string; name: string; namespace?: string };
  operation?: string;
  expect: { allowed?: boolean; findings?: ExpectedFinding[]; mutated?: string };
}

interface CaseResult {
  suite: string;
  name: string;
  failures: string[];
}

export async function testCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'kubernetes-version': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    io.stdout(TEST_USAGE + '\n');
    return 0;
  }
  if (positionals.length === 0)
    throw new UserError('test needs a directory or file with PolicyTest suites');
  const suiteFiles: string[] = [];
  for (const path of positionals) suiteFiles.push(...(await findSuites(path)));
  if (suiteFiles.length === 0)
    throw new UserError(`no PolicyTest suites found in ${positionals.join(', ')}`);

  const cluster = { kubernetesVersion: parseKubernetesVersion(values['kubernetes-version']) };
  const results: CaseResult[] = [];
  for (const file of suiteFiles) results.push(...(await runSuite(file, cluster)));
  const failed = results.filter((result) => result.failures.length > 0);
  if (values.json === true) {
    io.stdout(
      JSON.stringify(
        { passed: results.length - failed.length, failed: failed.length, results },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const result of results) {
      io.stdout(
        `${result.failures.length === 0 ? 'PASS' : 'FAIL'}  ${result.suite}: ${result.name}\n`,
      );
      for (const failure of result.failures) io.stdout(indent(failure, '      ') + '\n');
    }
    io.stdout(`${results.length - failed.length} passed, ${failed.length} failed\n`);
  }
  return failed.length > 0 ? 1 : 0;
}

async function findSuites(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new UserError(`cannot read ${path}: no such file or directory`);
  }
  if (info.isFile()) return (await isSuite(path)) ? [path] : [];
  const found: string[] = [];
  const entries = await readdir(path, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const child = join(path, entry.name);
    if (entry.isDirectory()) found.push(...(await findSuites(child)));
    else if (/\.ya?ml$/.test(entry.name) && (await isSuite(child))) found.push(child);
  }
  return found;
}

async function isSuite(file: string): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  return /^kind:\s*PolicyTest\s*$/m.test(text);
}

async function runSuite(file: string, cluster: ClusterFacts): Promise<CaseResult[]> {
  const base = dirname(file);
  const parsed = parseManifestText(await readFile(file, 'utf8'), file);
  const first = parsed.errors[0];
  if (first !== undefined)
    throw new UserError(
      `${file}:${first.location.line}:${first.location.column}: ${first.message}`,
    );
  const document = parsed.documents.find(
    (doc) => isPlainObject(doc.value) && doc.value.kind === 'PolicyTest',
  );
  if (document === undefined) throw new UserError(`${file}: no PolicyTest document`);
  const suite = readSuite(document);
  const policySet = await loadPolicySet(suite.policies.map((path) => resolve(base, path)));
  const loaded = await loadManifests(
    suite.resources.map((path) => join(base, path)),
    {
      readStdin: () => Promise.reject(new UserError('test suites cannot read standard input')),
    },
  );
  const loadError = loaded.errors[0];
  if (loadError !== undefined) {
    throw new UserError(
      `${loadError.location.file}:${loadError.location.line}: ${loadError.message}`,
    );
  }
  const results: CaseResult[] = [];
  for (const testCase of suite.cases) {
    const failures: string[] = [];
    const matches = loaded.documents.filter((doc) => selects(doc, testCase.resource));
    if (matches.length !== 1) {
      failures.push(
        `resource ${describe(testCase.resource)} matches ${matches.length} objects in ${suite.resources.join(', ')}; expected exactly one`,
      );
      results.push({ suite: suite.name, name: testCase.name, failures });
      continue;
    }
    const [evaluated] = evaluateDocuments(matches, policySet, {
      operation: parseOperation(testCase.operation),
      defaultNamespace: 'default',
      namespaceLabels: new Map(Object.entries(suite.namespaceLabels)),
      cluster,
    });
    if (evaluated === undefined)
      throw new UserError(`${file}: resource ${describe(testCase.resource)} is not an object`);
    const { evaluation } = evaluated;
    if (testCase.expect.allowed !== undefined && evaluation.allowed !== testCase.expect.allowed) {
      failures.push(
        `expected ${testCase.expect.allowed ? 'allowed' : 'denied'}, got ${evaluation.allowed ? 'allowed' : 'denied'}`,
      );
    }
    if (testCase.expect.findings !== undefined)
      failures.push(...compareFindings(testCase.expect.findings, evaluation.findings));
    if (testCase.expect.mutated !== undefined) {
      const expectedFile = join(base, testCase.expect.mutated);
      const expected = parseManifestText(await readFile(expectedFile, 'utf8'), expectedFile)
        .documents[0]?.value;
      if (!deepEqual(expected, evaluation.mutated)) {
        const diff = unifiedDiff(
          dumpYaml(expected),
          dumpYaml(evaluation.mutated),
          `expected ${testCase.expect.mutated}`,
          'actual',
        );
        failures.push(`mutated object differs from ${testCase.expect.mutated}:\n${diff}`);
      }
    }
    results.push({ suite: suite.name, name: testCase.name, failures });
  }
  return results;
}

interface Suite {
  name: string;
  policies: string[];
  resources: string[];
  namespaceLabels: Record<string, Record<string, string>>;
  cases: TestCase[];
}

/** Checks the suite's shape by hand: the format is small, and errors must name the field. */
function readSuite(document: ManifestDocument): Suite {
  const value = document.value as Record<string, unknown>;
  const fail = (pointer: string, message: string): never => {
    const location = document.locate(pointer);
    throw new UserError(`${location.file}:${location.line}:${location.column}: ${message}`);
  };
  if (value.apiVersion !== 'cronguard.dev/v1alpha1')
    fail('/apiVersion', 'apiVersion must be cronguard.dev/v1alpha1');
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  const spec = value.spec;
  if (!isPlainObject(spec)) return fail('/spec', 'spec must be an object');
  const strings = (key: string, required: boolean): string[] => {
    const list = spec[key];
    if (list === undefined && !required) return [];
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
      return fail(`/spec/${key}`, `spec.${key} must be a list of paths`);
    return list;
  };
  const cases = spec.cases;
  if (!Array.isArray(cases) || cases.length === 0)
    return fail('/spec/cases', 'spec.cases must be a non-empty list');
  cases.forEach((testCase: unknown, index) => {
    const at = `/spec/cases/${index}`;
    if (!isPlainObject(testCase) || typeof testCase.name !== 'string')
      return fail(at, 'each case needs a name');
    const resource = testCase.resource;
    if (
      !isPlainObject(resource) ||
      typeof resource.kind !== 'string' ||
      typeof resource.name !== 'string'
    ) {
      return fail(`${at}/resource`, 'resource must give kind and name (and optionally namespace)');
    }
    if (!isPlainObject(testCase.expect))
      return fail(`${at}/expect`, 'expect must be an object with allowed, findings and/or mutated');
    const findings = testCase.expect.findings;
    if (
      findings !== undefined &&
      (!Array.isArray(findings) ||
        !findings.every(
          (f) => isPlainObject(f) && typeof f.rule === 'string' && typeof f.field === 'string',
        ))
    ) {
      return fail(
        `${at}/expect/findings`,
        'each expected finding needs rule and field (action, policy, message, container optional)',
      );
    }
    return undefined;
  });
  const labels = spec.namespaceLabels;
  if (labels !== undefined && !isPlainObject(labels))
    fail('/spec/namespaceLabels', 'namespaceLabels maps namespace names to label maps');
  return {
    name: typeof metadata.name === 'string' ? metadata.name : document.file,
    policies: strings('policies', false),
    resources: strings('resources', true),
    namespaceLabels: (labels ?? {}) as Record<string, Record<string, string>>,
    cases: cases as TestCase[],
  };
}

function selects(document: ManifestDocument, resource: TestCase['resource']): boolean {
  const value = document.value;
  if (!isPlainObject(value) || value.kind !== resource.kind) return false;
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  if (metadata.name !== resource.name) return false;
  return (
    resource.namespace === undefined || (metadata.namespace ?? 'default') === resource.namespace
  );
}

function describe(resource: TestCase['resource']): string {
  return `${resource.kind}/${resource.namespace === undefined ? '' : `${resource.namespace}/`}${resource.name}`;
}

function compareFindings(
  expected: readonly ExpectedFinding[],
  actual: readonly {
    ruleId: string;
    path: string;
    action: string;
    policy: string;
    message: string;
    container?: string;
  }[],
): string[] {
  const unmatched = [...actual];
  const failures: string[] = [];
  for (const want of expected) {
    const index = unmatched.findIndex(
      (got) =>
        got.ruleId === want.rule &&
        pointerToFieldPath(got.path) === want.field &&
        (want.action === undefined || got.action === want.action) &&
        (want.policy === undefined || got.policy === want.policy) &&
        (want.message === undefined || got.message === want.message) &&
        (want.container === undefined || got.container === want.container),
    );
    if (index === -1)
      failures.push(
        `missing finding: ${want.rule} at ${want.field}${want.message === undefined ? '' : ` ("${want.message}")`}`,
      );
    else unmatched.splice(index, 1);
  }
  for (const got of unmatched) {
    failures.push(
      `unexpected finding: ${got.ruleId} at ${pointerToFieldPath(got.path)} (${got.action}, policy ${got.policy}): ${got.message}`,
    );
  }
  return failures;
}

function dumpYaml(value: unknown): string {
  return yaml.dump(value, { noRefs: true, lineWidth: -1, sortKeys: true });
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
}

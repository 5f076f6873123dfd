/**
 * Engine benchmark: microseconds per CronJob evaluation with the built-in
 * policies, and how that grows with the number of policies (1, 10, 100 generated
 * ones that all match every bench CronJob, each with different settings, so no
 * two are the same work and none is skipped by matching).
 */
import yaml from 'js-yaml';
import { loadPolicySet } from '../src/cli/policies.js';
import { evaluate } from '../src/engine/evaluate.js';
import type { KubeObject } from '../src/k8s/types.js';
import { loadPolicies, type PolicySet } from '../src/policy/index.js';
import { BUILTIN_RULES, BUILTIN_RULE_IDS } from '../src/rules/index.js';
import type { Print } from './figures.js';
import { cronJobStream } from './generate.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REPEATS = QUICK ? 3 : 5;
const BUILTIN_OBJECTS = QUICK ? 300 : 1000;
/**
 * Objects per pass for N policies: fewer as N grows, so each pass takes about
 * as long whatever N is (100 policies cost up to 100x per object). The smallest
 * sample still covers every variant of the generator (it cycles within 17).
 */
const scalingObjects = (policies: number): number =>
  Math.min(BUILTIN_OBJECTS, Math.max(20, Math.round((QUICK ? 500 : 2000) / policies)));
export const POLICY_COUNTS = [1, 10, 100] as const;

/**
 * Every section the rules read (job, schedule, resources, images, security
 * context), with values derived from the index so that no two policies are the
 * same work. Every policy has every section, so one policy costs about what any
 * other does and the 100/1 ratio measures how the engine scales, not which
 * sections the first policy happens to have. All match the bench CronJobs
 * (namespaces team-*) through a namespace glob, as real policies usually do.
 */
function policySections(index: number): string {
  return `  job:
    backoffLimit: {default: ${index % 4}, max: ${6 + (index % 5)}}
    activeDeadlineSeconds: {default: ${3600 + index}}
    concurrencyPolicy: {allowed: [Forbid, Replace, Allow]}
    ttlSecondsAfterFinished: {default: ${86_400 + index}}
  schedule:
    minInterval: ${1 + (index % 5)}m
    timeZone:
      allowed: [UTC, "Europe/*", "America/*"]
      default: UTC
  resources:
    apply: ${index % 2 === 0 ? 'default' : 'enforce'}
    defaults:
      requests: {cpu: ${50 + index}m, memory: ${64 + index}Mi}
      limits: {memory: ${2048 + index}Mi}
    max:
      requests: {cpu: "${2 + (index % 4)}", memory: ${4 + (index % 4)}Gi}
      limits: {memory: ${8 + (index % 4)}Gi}
    maxLimitRequestRatio: {memory: ${40 + (index % 3)}}
    required: [requests.cpu, requests.memory]
  images:
    disallowLatest: ${index % 2 === 0 ? 'true' : 'false'}
    allowedRegistries: [registry.example.com, ghcr.io/org, docker.io, "*.team-${index}.example.com"]
    pullPolicy: {default: IfNotPresent, allowed: [IfNotPresent, Always]}
  securityContext:
    profile: restricted
    apply: default
    runAsUser: ${10_000 + index}`;
}

export function generatedPolicies(count: number): string {
  const documents: string[] = [];
  for (let index = 0; index < count; index++) {
    documents.push(`apiVersion: cronguard.dev/v1alpha1
kind: CronJobPolicy
metadata:
  name: bench-policy-${index}
spec:
  priority: ${index % 10}
  action: ${index % 3 === 0 ? 'enforce' : 'warn'}
  match:
    kinds: [CronJob]
    namespaces: ["team-*"]
  exclude:
    namespaces: [kube-system]
${policySections(index)}
`);
  }
  return documents.join('---\n');
}

function generatedPolicySet(count: number): PolicySet {
  const loaded = loadPolicies([{ file: `bench-${count}.yaml`, text: generatedPolicies(count) }], {
    knownRuleIds: BUILTIN_RULE_IDS,
  });
  if (loaded.errors.length > 0)
    throw new Error(`generated policies do not load: ${JSON.stringify(loaded.errors[0])}`);
  return { policies: loaded.policies };
}

/** Best of REPEATS passes over the objects, in microseconds per evaluation. */
function microsecondsPerEvaluation(policySet: PolicySet, objects: readonly KubeObject[]): number {
  let fastest = Infinity;
  let matchedEverywhere = true;
  for (let attempt = 0; attempt < REPEATS; attempt++) {
    const start = performance.now();
    for (const object of objects) {
      const evaluation = evaluate(
        policySet,
        { object, operation: 'CREATE', namespace: object.metadata?.namespace ?? 'default' },
        { rules: BUILTIN_RULES },
      );
      matchedEverywhere &&= evaluation.policies.every((match) => match.matched);
    }
    fastest = Math.min(fastest, performance.now() - start);
  }
  // A policy that silently stopped matching would make the scaling look free.
  if (!matchedEverywhere) throw new Error('a bench policy did not match a bench CronJob');
  return (fastest * 1000) / objects.length;
}

export async function engineBenchmark(print: Print): Promise<void> {
  const builtin = await loadPolicySet([]);
  const objects = (yaml.loadAll(cronJobStream(BUILTIN_OBJECTS)) as KubeObject[]).filter(Boolean);
  print(
    'engine.evaluate_builtin_policies',
    microsecondsPerEvaluation(builtin, objects),
    'us/eval',
    1,
  );

  const perCount = new Map<number, number>();
  for (const count of POLICY_COUNTS) {
    const sample = objects.slice(0, scalingObjects(count));
    const micros = microsecondsPerEvaluation(generatedPolicySet(count), sample);
    perCount.set(count, micros);
    print(`engine.evaluate_${count}_policies`, micros, 'us/eval', 1);
  }
  const one = perCount.get(1) ?? NaN;
  const hundred = perCount.get(100) ?? NaN;
  print('engine.policies_100_to_1_ratio', hundred / one, 'x');
  // Linear growth would be 100x; this says how far from it (or below it) the engine is.
  print('engine.cost_per_added_policy', (hundred - one) / 99, 'us/eval', 2);
}

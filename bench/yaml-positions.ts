/**
 * What recording source positions costs on top of parsing.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/yaml-positions.js [documents]
 *
 * Generates realistic CronJobs (about 40 lines each) into one multi-document
 * stream and times, best of 5, js-yaml's `loadAll` alone against
 * `parseManifestText`, which also records the offset of every key and item and
 * computes each document's line:column. `cronguard lint` must stay within 2x of
 * bare parsing; positions are budgeted at most 1.4x.
 *
 * Also times the same objects as a JSON List, to compare JSON.parse with going
 * through the YAML parser (which is what gives JSON positions and duplicate-key errors).
 */
import { loadAll } from 'js-yaml';
import { parseManifestText } from '../src/manifests/index.js';

const DOCUMENTS = Number(process.argv[2] ?? 10_000);
const RUNS = 5;
const TARGET_RATIO = 1.4;

/** Deterministic, so every run parses the same text. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const random = createRandom(20_250_101);
function pick<T>(choices: readonly T[]): T {
  return choices[Math.floor(random() * choices.length)]!;
}
function between(low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

const TEAMS = ['billing', 'search', 'platform', 'data', 'identity', 'payments', 'growth', 'ml'];
const TASKS = [
  'report',
  'cleanup',
  'backup',
  'sync',
  'export',
  'reindex',
  'rotate-keys',
  'vacuum',
  'digest',
];
const REGISTRIES = [
  'registry.example.com',
  'ghcr.io/example',
  'docker.io/library',
  '123456789.dkr.ecr.eu-west-1.amazonaws.com',
];
const SCHEDULES = [
  '*/5 * * * *',
  '0 * * * *',
  '30 2 * * *',
  '15 3 * * 1-5',
  '0 0 1 * *',
  '@daily',
  '45 */6 * * *',
];

function cronJobYaml(index: number): string {
  const team = pick(TEAMS);
  const task = pick(TASKS);
  const name = `${team}-${task}-${index}`;
  const image = `${pick(REGISTRIES)}/${team}/${task}:${between(1, 9)}.${between(0, 30)}.${between(0, 99)}`;
  const cpu = `${between(1, 20) * 50}m`;
  const memory = `${between(1, 32) * 64}Mi`;
  const sidecar = random() < 0.5 ? 'true' : 'false';
  const quoted = random() < 0.3 ? `"${pick(SCHEDULES)}"` : `'${pick(SCHEDULES)}'`;
  return `apiVersion: batch/v1
kind: CronJob
metadata:
  name: ${name}
  namespace: ${team}
  labels:
    app.kubernetes.io/name: ${task}
    app.kubernetes.io/part-of: ${team}
    team: ${team}
  annotations:
    sidecar.istio.io/inject: "${sidecar}"
    description: Runs the ${task} task for ${team} # owned by ${team}
spec:
  schedule: ${quoted}
  timeZone: Europe/Berlin
  concurrencyPolicy: ${pick(['Forbid', 'Replace', 'Allow'])}
  successfulJobsHistoryLimit: ${between(1, 5)}
  failedJobsHistoryLimit: ${between(1, 5)}
  jobTemplate:
    spec:
      backoffLimit: ${between(0, 6)}
      activeDeadlineSeconds: ${between(60, 7200)}
      ttlSecondsAfterFinished: ${between(60, 86_400)}
      template:
        spec:
          restartPolicy: ${pick(['OnFailure', 'Never'])}
          serviceAccountName: ${team}-jobs
          containers:
          - name: ${task}
            image: ${image}
            args: ["--team=${team}", "--task=${task}", "--batch=${between(10, 1000)}"]
            env:
            - name: LOG_LEVEL
              value: ${pick(['debug', 'info', 'warn'])}
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef: {name: ${team}-db, key: url}
            resources:
              requests: {cpu: ${cpu}, memory: ${memory}}
              limits:
                memory: ${memory}
`;
}

function cronJobObject(index: number): unknown {
  return parseManifestText(cronJobYaml(index), 'object.yaml').documents[0]!.value;
}

function time(task: () => void): number {
  const started = performance.now();
  task();
  return performance.now() - started;
}

/**
 * Best of `runs` for each task, alternating between the tasks, so that a busy
 * machine or a garbage collection slows each of them alike.
 */
function bestOf(runs: number, ...tasks: (() => void)[]): number[] {
  const best = tasks.map(() => Infinity);
  for (let run = 0; run < runs; run++) {
    tasks.forEach((task, index) => {
      best[index] = Math.min(best[index]!, time(task));
    });
  }
  return best;
}

function perSecond(count: number, milliseconds: number): string {
  return Math.round((count / milliseconds) * 1000).toString();
}

const yamlText = Array.from({ length: DOCUMENTS }, (_, index) => cronJobYaml(index)).join('---\n');
const jsonText = JSON.stringify(
  {
    apiVersion: 'v1',
    kind: 'List',
    items: Array.from({ length: DOCUMENTS }, (_, index) => cronJobObject(index)),
  },
  null,
  2,
);

// Check that both sides did the work being measured before timing it.
const parsed = parseManifestText(yamlText, 'bench.yaml');
if (parsed.documents.length !== DOCUMENTS || parsed.errors.length > 0) {
  throw new Error(
    `expected ${DOCUMENTS} documents, got ${parsed.documents.length} and ${parsed.errors.length} errors`,
  );
}
if (loadAll(yamlText).length !== DOCUMENTS)
  throw new Error('js-yaml did not return every document');

const [bare, withPositions] = bestOf(
  RUNS,
  () => loadAll(yamlText),
  () => parseManifestText(yamlText, 'bench.yaml'),
) as [number, number];
const ratio = withPositions / bare;

// What a lint run adds per document: one field location per finding.
const documents = parsed.documents;
const [locate] = bestOf(RUNS, () => {
  for (const document of documents) {
    document.locate('/spec/jobTemplate/spec/template/spec/containers/0/image');
    document.locate('/metadata/annotations/sidecar.istio.io~1inject');
    document.locate('/spec/jobTemplate/spec/template/spec/securityContext');
  }
}) as [number];

const [jsonParse, jsonBare, jsonWithPositions] = bestOf(
  RUNS,
  () => JSON.parse(jsonText) as unknown,
  () => loadAll(jsonText),
  () => parseManifestText(jsonText, 'bench.json'),
) as [number, number, number];

console.log(`yaml.documents: ${DOCUMENTS} (${(yamlText.length / 1024 / 1024).toFixed(1)} MiB)`);
console.log(`yaml.bare: ${perSecond(DOCUMENTS, bare)} docs/s`);
console.log(`yaml.with_positions: ${perSecond(DOCUMENTS, withPositions)} docs/s`);
console.log(`yaml.positions_ratio: ${ratio.toFixed(2)} (target <= ${TARGET_RATIO})`);
console.log(`yaml.locate: ${perSecond(DOCUMENTS * 3, locate)} lookups/s`);
console.log(`json.parse: ${perSecond(DOCUMENTS, jsonParse)} docs/s (JSON.parse)`);
console.log(`json.bare: ${perSecond(DOCUMENTS, jsonBare)} docs/s (js-yaml loadAll)`);
console.log(`json.with_positions: ${perSecond(DOCUMENTS, jsonWithPositions)} docs/s`);
console.log(`json.positions_ratio: ${(jsonWithPositions / jsonBare).toFixed(2)}`);
if (ratio > TARGET_RATIO) process.exitCode = 1;

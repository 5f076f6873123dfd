import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { UserError } from '../../errors.js';
import { asText, isPlainObject, type KubeObject } from '../../k8s/types.js';
import { loadManifests, type ManifestDocument } from '../../manifests/index.js';
import {
  generateTraffic,
  selectDestinations,
  type IstioNetworkingApiVersion,
} from '../../mesh/traffic/index.js';
import { DESTINATIONS_ANNOTATION, type TrafficDestination } from '../../mesh/types.js';
import type { PolicySet } from '../../policy/types.js';
import { printInputErrors } from '../inputs.js';
import type { CliIo } from '../io.js';
import { parseNamespaceLabels } from '../options.js';
import { collectNamespaceLabels } from '../pipeline.js';
import { loadPolicySet } from '../policies.js';

export const GENERATE_USAGE = `Usage: cronguard generate mesh [PATH ... | -] [options]

Prints Istio VirtualServices and DestinationRules for the services the CronJobs
call (YAML stream on stdout): timeouts, safe retries and connection settings,
scoped to each CronJob's own pods. A CronJob's destinations come from the
mesh.traffic list of the highest-priority matching policy that has one, plus the
hosts in its ${DESTINATIONS_ANNOTATION} annotation. See docs/mesh-traffic.md.

Options:
  --policies DIR|FILE        policy directory or file (repeatable; default: built-in)
  --namespace NS             namespace for objects that name none (default: default)
  --namespace-labels NS=K=V[,K=V]  labels of a namespace (repeatable)
  --api-version V            v1 (Istio 1.22+, default) or v1beta1
  --cluster-domain DOMAIN    cluster DNS domain for short hosts (default: cluster.local)

Exit codes: 0 generated without problems, 1 problems (on stderr as file:line: message;
the objects printed are still valid), 2 errors.`;

const API_VERSIONS: Readonly<Record<string, IstioNetworkingApiVersion>> = {
  v1: 'networking.istio.io/v1',
  'networking.istio.io/v1': 'networking.istio.io/v1',
  v1beta1: 'networking.istio.io/v1beta1',
  'networking.istio.io/v1beta1': 'networking.istio.io/v1beta1',
};

export async function generateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [target, ...rest] = argv;
  if (target === undefined || target === '--help' || target === '-h') {
    io.stdout(GENERATE_USAGE + '\n');
    return target === undefined ? 2 : 0;
  }
  if (target !== 'mesh')
    throw new UserError(
      `unknown generate target "${target}"; did you mean "cronguard generate mesh"?`,
    );
  return generateMesh(rest, io);
}

interface CronJobInput {
  document: ManifestDocument;
  object: KubeObject;
  namespace: string;
  destinations: TrafficDestination[];
}

interface MeshFlags {
  policies: string[];
  apiVersion: IstioNetworkingApiVersion;
  clusterDomain: string;
  defaultNamespace: string;
  namespaceLabels: Map<string, Record<string, string>>;
  paths: string[];
}

function parseMeshFlags(argv: readonly string[]): MeshFlags | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      policies: { type: 'string', multiple: true },
      namespace: { type: 'string' },
      'namespace-labels': { type: 'string', multiple: true },
      'api-version': { type: 'string' },
      'cluster-domain': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const requested = values['api-version'] ?? 'v1';
  const apiVersion = API_VERSIONS[requested];
  if (apiVersion === undefined)
    throw new UserError(`--api-version must be v1 or v1beta1, got "${requested}"`);
  const clusterDomain = values['cluster-domain'] ?? 'cluster.local';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(clusterDomain))
    throw new UserError(`--cluster-domain must be a DNS name, got "${clusterDomain}"`);
  return {
    policies: values.policies ?? [],
    apiVersion,
    clusterDomain,
    defaultNamespace: values.namespace ?? 'default',
    namespaceLabels: parseNamespaceLabels(values['namespace-labels'] ?? []),
    paths: positionals.length > 0 ? positionals : ['-'],
  };
}

async function generateMesh(argv: readonly string[], io: CliIo): Promise<number> {
  const flags = parseMeshFlags(argv);
  if (flags === 'help') {
    io.stdout(GENERATE_USAGE + '\n');
    return 0;
  }
  const policySet = await loadPolicySet(flags.policies);
  const loaded = await loadManifests(flags.paths, { readStdin: io.readStdin });
  printInputErrors(loaded, io);

  const { cronJobs, problems } = collectCronJobs(loaded.documents, policySet, flags);
  const result = generateTraffic(
    cronJobs.map(({ object, destinations }) => ({ object, destinations })),
    flags,
  );
  for (const problem of result.problems) {
    const source = cronJobs.find(
      (entry) =>
        entry.namespace === problem.namespace &&
        asText(entry.object.metadata?.name) === problem.cronJob,
    );
    const where = source?.document.location;
    const prefix = where === undefined ? '' : `${where.file}:${where.line}: `;
    problems.push(`${prefix}CronJob ${problem.namespace}/${problem.cronJob}: ${problem.message}`);
  }
  for (const line of problems) io.stderr(`${line}\n`);

  io.stdout(result.objects.map((object) => `---\n${dump(object)}`).join(''));
  if (result.objects.length === 0 && problems.length === 0 && loaded.errors.length === 0)
    io.stderr(
      `no CronJob names a destination (policy mesh.traffic or the ${DESTINATIONS_ANNOTATION} annotation); nothing generated\n`,
    );
  if (loaded.errors.length > 0) return 2;
  return problems.length > 0 ? 1 : 0;
}

/** The CronJobs in the input that name destinations, with problems as `file:line: message`. */
function collectCronJobs(
  documents: readonly ManifestDocument[],
  policySet: PolicySet,
  flags: MeshFlags,
): { cronJobs: CronJobInput[]; problems: string[] } {
  const namespaceLabels = collectNamespaceLabels(documents, flags.namespaceLabels);
  const problems: string[] = [];
  const cronJobs: CronJobInput[] = [];
  for (const document of documents) {
    const value = document.value;
    if (!isPlainObject(value) || value.kind !== 'CronJob') continue;
    const object = value as KubeObject;
    const declared = object.metadata?.namespace;
    const namespace =
      typeof declared === 'string' && declared !== '' ? declared : flags.defaultNamespace;
    const { policy, ...resolved } = selectDestinations(policySet, object, {
      namespace,
      namespaceLabels: namespaceLabels.get(namespace),
      defaultNamespace: flags.defaultNamespace,
      clusterDomain: flags.clusterDomain,
    });
    for (const message of resolved.problems) {
      const where = message.startsWith('annotation')
        ? document.locate(`/metadata/annotations/${DESTINATIONS_ANNOTATION.replace('/', '~1')}`)
        : document.location;
      const from =
        policy !== undefined && message.startsWith('policy') ? ` (policy ${policy.name})` : '';
      problems.push(`${where.file}:${where.line}: ${message}${from}`);
    }
    if (resolved.destinations.length > 0)
      cronJobs.push({ document, object, namespace, destinations: resolved.destinations });
  }
  return { cronJobs, problems };
}

function dump(object: KubeObject): string {
  return yaml.dump(object, { noRefs: true, lineWidth: -1, quotingType: '"' });
}

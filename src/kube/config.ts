import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { isIPv6 } from 'node:net';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { UserError } from '../errors.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigLoadOptions {
  /** An explicit kubeconfig file (a --kubeconfig flag); it must exist and be valid. */
  kubeconfigPath?: string;
  /** Context to use instead of the file's current-context (a --context flag). */
  context?: string;
  /** Defaults to process.env (KUBERNETES_SERVICE_HOST/PORT, KUBECONFIG). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to os.homedir(); ~/.kube/config is looked up there. */
  homeDir?: string;
  /** Defaults to SERVICE_ACCOUNT_DIR (token, ca.crt, namespace). */
  serviceAccountDir?: string;
}

export type KubeConfigSource = 'explicit' | 'in-cluster' | 'KUBECONFIG' | 'home';

export type KubeConfigResult =
  | {
      kubeConfig: KubeConfig;
      source: KubeConfigSource;
      /** For the startup log: where the credentials came from, context and server. */
      description: string;
    }
  | {
      kubeConfig: undefined;
      /** Why there are none, for the startup log line ("running without a cluster: ..."). */
      reason: string;
    };

/**
 * Finds cluster credentials, in order: the explicit kubeconfig; the pod's service
 * account (in a pod that identity is the intended one, even if a KUBECONFIG leaked into
 * the image); $KUBECONFIG (files joined with the path delimiter, first value wins, as
 * kubectl merges them); ~/.kube/config.
 *
 * Having no credentials is a normal mode (the webhook then runs without
 * namespace labels), so it returns a reason instead of throwing. A file that exists
 * but is broken is a mistake to report, so that throws a UserError naming the file.
 */
export function loadKubeConfig(options: KubeConfigLoadOptions = {}): KubeConfigResult {
  const env = options.env ?? process.env;
  if (options.kubeconfigPath !== undefined) {
    if (!existsSync(options.kubeconfigPath)) {
      throw new UserError(`kubeconfig ${options.kubeconfigPath} does not exist`);
    }
    const kubeConfig = loadFiles([options.kubeconfigPath], options.context);
    return found(kubeConfig, 'explicit', `kubeconfig ${options.kubeconfigPath}`);
  }

  const serviceAccountDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(serviceAccountDir, 'token');
  let inClusterReason: string;
  if (host === undefined || host === '' || port === undefined || port === '') {
    inClusterReason = 'not in a pod (KUBERNETES_SERVICE_HOST/PORT unset)';
  } else if (!existsSync(tokenFile)) {
    inClusterReason = `in a pod but ${tokenFile} is missing (automountServiceAccountToken: false?)`;
  } else {
    return found(inClusterConfig(host, port, serviceAccountDir), 'in-cluster', 'service account');
  }

  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    const files = fromEnv.split(delimiter).filter((file) => file !== '' && existsSync(file));
    if (files.length === 0) {
      return {
        kubeConfig: undefined,
        reason: `${inClusterReason}; KUBECONFIG names no existing file`,
      };
    }
    return found(
      loadFiles(files, options.context),
      'KUBECONFIG',
      `kubeconfig ${files.join(delimiter)}`,
    );
  }

  const home = options.homeDir ?? homedir();
  const defaultFile = join(home, '.kube', 'config');
  if (existsSync(defaultFile)) {
    return found(loadFiles([defaultFile], options.context), 'home', `kubeconfig ${defaultFile}`);
  }
  return {
    kubeConfig: undefined,
    reason: `${inClusterReason}; KUBECONFIG unset; ${defaultFile} does not exist`,
  };
}

function found(kubeConfig: KubeConfig, source: KubeConfigSource, origin: string): KubeConfigResult {
  const server = kubeConfig.getCurrentCluster()?.server ?? '?';
  return {
    kubeConfig,
    source,
    description: `${origin} (context ${kubeConfig.getCurrentContext()}, server ${server})`,
  };
}

/** What client-node's loadFromCluster builds, with the service account directory configurable. */
function inClusterConfig(host: string, port: string, serviceAccountDir: string): KubeConfig {
  const cluster: Cluster = {
    name: 'in-cluster',
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    caFile: join(serviceAccountDir, 'ca.crt'),
    skipTLSVerify: false,
  };
  // The tokenFile provider re-reads the file, so projected tokens that the kubelet
  // rotates keep working.
  const user: User = {
    name: 'in-cluster',
    authProvider: { name: 'tokenFile', config: { tokenFile: join(serviceAccountDir, 'token') } },
  };
  const namespaceFile = join(serviceAccountDir, 'namespace');
  const context: Context = {
    name: 'in-cluster',
    cluster: cluster.name,
    user: user.name,
    ...(existsSync(namespaceFile) ? { namespace: readFileSync(namespaceFile, 'utf8').trim() } : {}),
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [context],
    currentContext: context.name,
  });
  return kubeConfig;
}

function loadFiles(files: readonly string[], contextOverride: string | undefined): KubeConfig {
  const clusters: Cluster[] = [];
  const users: User[] = [];
  const contexts: Context[] = [];
  let currentContext = '';
  for (const file of files) {
    const part = loadFile(file);
    // kubectl's merge rule: the first file to define a name (or current-context) wins.
    const add = <T extends { name: string }>(into: T[], from: readonly T[]): void => {
      for (const entry of from)
        if (!into.some((known) => known.name === entry.name)) into.push(entry);
    };
    add(clusters, part.clusters);
    add(users, part.users);
    add(contexts, part.contexts);
    if (currentContext === '') currentContext = part.currentContext;
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters,
    users,
    contexts,
    currentContext: contextOverride ?? currentContext,
  });
  checkUsable(kubeConfig, files.join(delimiter), contextOverride !== undefined);
  return kubeConfig;
}

function loadFile(file: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${file}: ${messageOf(error)}`);
  }
  const kubeConfig = new KubeConfig();
  try {
    const parsed = yaml.load(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('expected a YAML mapping with clusters, users and contexts');
    }
    kubeConfig.loadFromString(text);
    kubeConfig.makePathsAbsolute(dirname(file));
  } catch (error) {
    throw new UserError(`kubeconfig ${file} is not valid: ${messageOf(error)}`);
  }
  return kubeConfig;
}

function checkUsable(kubeConfig: KubeConfig, origin: string, contextFromFlag: boolean): void {
  const name = kubeConfig.getCurrentContext();
  if (name === '' || name === undefined) {
    throw new UserError(`kubeconfig ${origin} has no current-context`);
  }
  const context = kubeConfig.getContextObject(name);
  if (context === null) {
    const where = contextFromFlag ? 'the requested context' : 'its current-context';
    throw new UserError(`kubeconfig ${origin} has no context "${name}" (${where})`);
  }
  const cluster = kubeConfig.getCluster(context.cluster);
  if (cluster === null) {
    throw new UserError(
      `kubeconfig ${origin}: context "${name}" names a missing cluster "${context.cluster}"`,
    );
  }
  if (
    context.user !== '' &&
    context.user !== undefined &&
    kubeConfig.getUser(context.user) === null
  ) {
    throw new UserError(
      `kubeconfig ${origin}: context "${name}" names a missing user "${context.user}"`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

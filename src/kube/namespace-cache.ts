import { CoreV1Api, V1Namespace, V1ObjectMeta, type KubeConfig } from '@kubernetes/client-node';
import type { BackoffOptions } from './backoff.js';
import { createResilientInformer, type InformerStatusEvent } from './informer.js';
import type { KubeLogger } from './log.js';

export type NamespaceCacheEvent =
  InformerStatusEvent | { type: 'added' | 'updated' | 'deleted'; name: string };

export interface NamespaceCacheOptions {
  onEvent?: (event: NamespaceCacheEvent) => void;
  logger?: KubeLogger;
  backoff?: Partial<BackoffOptions>;
  /** Source of backoff jitter; tests may pin it. */
  random?: () => number;
}

/** Namespace labels by name, kept current by a watch; what namespaceSelector needs. */
export interface NamespaceCache {
  /** Labels of the namespace, or undefined if it is unknown (not synced yet, or no such namespace). */
  labelsFor(name: string): Readonly<Record<string, string>> | undefined;
  /** True once the first list is loaded; stays true while reconnecting (last known labels). */
  synced(): boolean;
  /** Resolves at the first sync; never rejects. */
  whenSynced(): Promise<void>;
  stop(): Promise<void>;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Starts watching Namespaces (needs RBAC list+watch on namespaces). Only name and
 * labels are kept, frozen, so memory grows with the number of namespaces and their
 * labels, not with annotations or managedFields.
 */
export function startNamespaceCache(
  kubeConfig: KubeConfig,
  options: NamespaceCacheOptions = {},
): NamespaceCache {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const emit = (event: NamespaceCacheEvent): void => {
    options.onEvent?.(event);
    log(options.logger, event);
  };
  const informer = createResilientInformer<V1Namespace>({
    kubeConfig,
    path: '/api/v1/namespaces',
    list: () => core.listNamespace(),
    transform: onlyNameAndLabels,
    onStatus: emit,
    backoff: options.backoff,
    random: options.random,
  });
  for (const [verb, type] of [
    ['add', 'added'],
    ['update', 'updated'],
    ['delete', 'deleted'],
  ] as const) {
    informer.on(verb, (namespace) => {
      emit({ type, name: namespace.metadata?.name ?? '' });
    });
  }
  informer.start();
  return {
    labelsFor(name) {
      const namespace = informer.cache.get(name);
      if (namespace === undefined) return undefined;
      return namespace.metadata?.labels ?? NO_LABELS;
    },
    synced: () => informer.synced(),
    whenSynced: () => informer.whenSynced(),
    stop: () => informer.stop(),
  };
}

function onlyNameAndLabels(namespace: V1Namespace): V1Namespace {
  const kept = new V1Namespace();
  kept.metadata = new V1ObjectMeta();
  kept.metadata.name = namespace.metadata?.name;
  kept.metadata.resourceVersion = namespace.metadata?.resourceVersion;
  kept.metadata.labels = Object.freeze({ ...namespace.metadata?.labels });
  return kept;
}

function log(logger: KubeLogger | undefined, event: NamespaceCacheEvent): void {
  if (logger === undefined) return;
  switch (event.type) {
    case 'synced':
      logger.log('info', 'namespace cache synced', { namespaces: event.count });
      break;
    case 'error':
      logger.log('warn', 'namespace watch failed; retrying', {
        error: event.message,
        status: event.status,
        retryInMs: event.retryInMs,
      });
      break;
    case 'watching':
      logger.log('debug', 'watching namespaces', { resourceVersion: event.resourceVersion });
      break;
    default:
      logger.log('debug', `namespace ${event.type}`, { namespace: event.name });
  }
}

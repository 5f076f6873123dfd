import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';

/** What a resilient informer reports about its connection, for logs and metrics. */
export type InformerStatusEvent =
  /** The first full list has been loaded into the cache; sent once. */
  | { type: 'synced'; count: number }
  /** A watch request is starting from this resourceVersion (after a list, or to resume). */
  | { type: 'watching'; resourceVersion: string }
  /** The list or watch failed; the informer restarts after retryInMs. */
  | { type: 'error'; message: string; status: number | undefined; retryInMs: number };

export type ObjectHandler<T> = (object: T) => void;

/** The paging parameters of a list call, named as client-node's typed calls name them. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path to watch, e.g. `/api/v1/namespaces`. */
  path: string;
  /**
   * Lists the same collection (a typed client-node call), one page at a time: pass
   * `limit` and `_continue` on to the call. A lister that ignores them returns
   * everything in one page, which is fine for small collections.
   */
  list: (page: ListPage) => Promise<KubernetesListObject<T>>;
  /** Items per list page (default 500, as client-go's pager). */
  pageSize?: number;
  labelSelector?: string;
  /**
   * Reduces each listed or watched object to what the caller needs before the cache
   * stores it, so the cache's memory is bounded by that (client-go's SetTransform).
   * Must keep metadata.name, metadata.namespace and metadata.resourceVersion.
   */
  transform?: (object: T) => T;
  onStatus?: (event: InformerStatusEvent) => void;
  backoff?: Partial<BackoffOptions>;
  /** Source of jitter; tests may pin it. */
  random?: () => number;
  /**
   * Server-side timeout of each watch request. The server then ends the stream
   * cleanly and the informer resumes from its resourceVersion; this bounds how long a
   * silently dead connection (no RST ever arrives) can leave the cache stale.
   * Default: random in [300, 600) seconds, as client-go does, to spread reconnections.
   */
  watchTimeoutSeconds?: number;
}

export interface ResilientInformer<T extends KubernetesObject> {
  /** Objects as returned by `transform`; `get(name, namespace)` and `list(namespace)`. */
  readonly cache: ObjectCache<T>;
  /** Register before start(): after a relist, objects that vanished arrive as `delete`. */
  on(verb: 'add' | 'update' | 'delete', handler: ObjectHandler<T>): void;
  /** Begins listing and watching; failures are retried, never thrown. */
  start(): void;
  /** True once the first list is in the cache; stays true while reconnecting (stale but usable). */
  synced(): boolean;
  /** Resolves at the first sync; never rejects (race it with a timeout if needed). */
  whenSynced(): Promise<void>;
  /** Stops watching and cancels pending restarts; nothing runs after it resolves. */
  stop(): Promise<void>;
}

/**
 * client-node's informer (ListWatch, what makeInformer builds) plus what it lacks for
 * a long-running process:
 *
 * - It relists after 410 Gone and re-watches after a cleanly closed stream by itself,
 *   but after any other failure (connection reset, list refused, 5xx) it emits `error`
 *   and stops for good. Here every `error` schedules `start()` again with capped
 *   exponential backoff and jitter; start() resumes from the last resourceVersion, and
 *   if that is too old the server answers 410 and the informer relists, emitting
 *   `delete` for objects removed meanwhile, so no change is lost.
 * - Watches ask for bookmarks, which keep the resourceVersion fresh on quiet
 *   collections so that resuming after a disconnect rarely needs a full relist.
 * - stop() is final: the Watch given to ListWatch refuses to start once stopped (a list
 *   completing after stop() would otherwise open a new watch) and aborts a watch whose
 *   request was still connecting when stop() ran.
 */
export function createResilientInformer<T extends KubernetesObject>(
  options: ResilientInformerOptions<T>,
): ResilientInformer<T> {
  const backoff = new Backoff({ ...DEFAULT_BACKOFF, ...options.backoff }, options.random);
  const random = options.random ?? Math.random;
  const transform = options.transform ?? ((object: T) => object);
  const report = options.onStatus ?? (() => undefined);
  let stopped = false;
  let isSynced = false;
  let listedCount = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let resolveSynced: () => void = () => undefined;
  const syncedPromise = new Promise<void>((resolve) => {
    resolveSynced = resolve;
  });

  const watch = new GuardedWatch(options.kubeConfig, {
    stopped: () => stopped,
    transform: (object) => transform(object as T),
    timeoutSeconds: () => options.watchTimeoutSeconds ?? Math.floor(300 + random() * 300),
    beforeWatch(resourceVersion) {
      // ListWatch calls watch() right after it has stored a list, so the first call
      // marks the moment the cache is complete.
      if (!isSynced) {
        isSynced = true;
        report({ type: 'synced', count: listedCount });
        resolveSynced();
      }
      report({ type: 'watching', resourceVersion });
    },
    healthy: () => {
      backoff.reset();
    },
  });
  // Paged, and each page transformed before the next is asked for: a cluster's
  // 50,000 Jobs in one answer cost gigabytes of transient memory (the JSON text,
  // the parsed objects and client-node's typed copies at once); pages of 500 bound
  // that to a few megabytes. All pages belong to the first page's snapshot, whose
  // resourceVersion the watch resumes from. An expired continue token (410) fails
  // the list, and the informer's restart lists again from the start.
  const pageSize = options.pageSize ?? 500;
  const list = async (): Promise<KubernetesListObject<T>> => {
    const items: T[] = [];
    let first: KubernetesListObject<T> | undefined;
    let token: string | undefined;
    do {
      const page = await options.list({
        limit: pageSize,
        ...(token === undefined ? {} : { _continue: token }),
      });
      first ??= page;
      for (const item of page.items) items.push(transform(item));
      token = page.metadata?._continue;
      if (token === '') token = undefined;
    } while (token !== undefined && !stopped);
    listedCount = items.length;
    // The first page is ours alone: it becomes the whole list.
    if (first.metadata !== undefined) first.metadata._continue = undefined;
    first.items = items;
    return first;
  };
  const informer = new ListWatch<T>(options.path, watch, list, false, options.labelSelector);

  const restart = async (): Promise<void> => {
    if (stopped) return;
    try {
      await informer.start();
    } catch (error) {
      // start() rejects only before any request is made (e.g. no current cluster).
      scheduleRestart(error);
    }
  };
  const scheduleRestart = (error: unknown): void => {
    if (stopped || restartTimer !== undefined) return;
    const retryInMs = backoff.next();
    report({ type: 'error', ...describeKubeError(error), retryInMs });
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void restart();
    }, retryInMs);
  };
  informer.on('error', scheduleRestart);

  return {
    cache: informer,
    on(verb, handler) {
      informer.on(verb, handler);
    },
    start() {
      stopped = false;
      void restart();
    },
    synced: () => isSynced,
    whenSynced: () => syncedPromise,
    async stop() {
      stopped = true;
      if (restartTimer !== undefined) clearTimeout(restartTimer);
      restartTimer = undefined;
      await informer.stop();
    },
  };
}

interface WatchHooks {
  stopped(): boolean;
  transform(object: KubernetesObject): KubernetesObject;
  timeoutSeconds(): number;
  beforeWatch(resourceVersion: string): void;
  /** The server delivered an event or ended the stream normally. */
  healthy(): void;
}

const OBJECT_EVENTS = new Set(['ADDED', 'MODIFIED', 'DELETED']);

class GuardedWatch extends Watch {
  constructor(
    config: KubeConfig,
    private readonly hooks: WatchHooks,
  ) {
    super(config);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.hooks.stopped()) {
      const controller = new AbortController();
      controller.abort();
      return controller;
    }
    this.hooks.beforeWatch(String(queryParams.resourceVersion ?? ''));
    const query = {
      ...queryParams,
      allowWatchBookmarks: true,
      timeoutSeconds: this.hooks.timeoutSeconds(),
    };
    const controller = await super.watch(
      path,
      query,
      (phase: string, object: unknown, raw: unknown) => {
        this.hooks.healthy();
        // ERROR carries a Status (ListWatch reads its code) and BOOKMARK only metadata.
        const passed: unknown = OBJECT_EVENTS.has(phase)
          ? this.hooks.transform(object as KubernetesObject)
          : object;
        callback(phase, passed, raw);
      },
      (error: unknown) => {
        if (error === null || error === undefined) this.hooks.healthy();
        done(error);
      },
    );
    // ListWatch.stop() aborts only a watch it already holds: one whose request was
    // still connecting when stop() ran would otherwise stay open for good.
    if (this.hooks.stopped()) controller.abort();
    return controller;
  }
}

/** A log-friendly message and HTTP status from client-node's various error shapes. */
export function describeKubeError(error: unknown): { message: string; status: number | undefined } {
  const record =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const status =
    typeof record.statusCode === 'number'
      ? record.statusCode
      : typeof record.code === 'number'
        ? record.code
        : undefined;
  let message = error instanceof Error ? error.message : String(error);
  // ApiException puts the whole response in its message; the Status message is the useful part.
  const body = record.body;
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as unknown;
      if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
        message = String(parsed.message);
      }
    } catch {
      // not JSON: keep the exception's message
    }
  }
  return { message, status };
}

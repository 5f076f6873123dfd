/**
 * FakeKubeApiServer: a local HTTPS server written for the tests. It implements the
 * subset of the Kubernetes API protocol that cronguard uses (list, get, watch with
 * resourceVersions, create, update, delete, merge/JSON patch, server-side apply,
 * /version, discovery) so that @kubernetes/client-node talks to it exactly as to a
 * cluster: same URLs, bearer token, TLS with a CA, newline-delimited watch events.
 *
 * It is NOT a Kubernetes API server. There is no RBAC, admission, OpenAPI validation,
 * controllers or garbage collector; defaulting covers only the fields in
 * src/k8s/api-defaults.ts; strategic merge on built-in types is treated as a JSON
 * merge patch; server-side apply tracks ownership per leaf field path (lists are
 * atomic, no list-map keys). Every behaviour here follows the documented API
 * conventions (see /work/shared/reference/client-node-and-api-server.md); when a
 * test fails only against a real cluster, this file is the first suspect.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import jsonPatch, { type Operation } from 'fast-json-patch';
import yaml from 'js-yaml';
import { applyApiServerDefaults } from '../../src/k8s/api-defaults.js';
import {
  generateDevelopmentCertificates,
  type DevelopmentCertificates,
} from '../../src/server/tls.js';

// ---------------------------------------------------------------------------
// Resource definitions

export interface FakeResource {
  /** API group; '' for the core group (served under /api/v1). */
  group: string;
  /** Served versions; the first is the storage version. Objects are not converted. */
  versions: readonly string[];
  /** Plural resource name as it appears in URLs. */
  resource: string;
  kind: string;
  namespaced: boolean;
  /**
   * Custom resources differ from built-in types on the wire: list items keep
   * kind/apiVersion, strategic merge patch is refused (415) and PUT requires
   * metadata.resourceVersion.
   */
  custom: boolean;
  /** Writes to the main resource keep the live status (status is a subresource). */
  statusSubresource: boolean;
  /** Server-side defaulting applied on every write. */
  defaults?: (object: KubeObject) => void;
}

export const DEFAULT_RESOURCES: readonly FakeResource[] = [
  builtIn('', 'v1', 'namespaces', 'Namespace', false, defaultNamespace),
  builtIn('', 'v1', 'pods', 'Pod', true, applyDefaults),
  builtIn('', 'v1', 'events', 'Event', true),
  builtIn('', 'v1', 'configmaps', 'ConfigMap', true),
  builtIn('batch', 'v1', 'cronjobs', 'CronJob', true, applyDefaults),
  builtIn('batch', 'v1', 'jobs', 'Job', true, applyDefaults),
  builtIn('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtIn('events.k8s.io', 'v1', 'events', 'Event', true),
  customResource(
    'networking.istio.io',
    ['v1', 'v1beta1', 'v1alpha3'],
    'virtualservices',
    'VirtualService',
  ),
  customResource(
    'networking.istio.io',
    ['v1', 'v1beta1', 'v1alpha3'],
    'destinationrules',
    'DestinationRule',
  ),
  customResource('wgpolicyk8s.io', ['v1alpha2'], 'policyreports', 'PolicyReport'),
];

function builtIn(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  defaults?: (object: KubeObject) => void,
): FakeResource {
  const statusSubresource = !['events', 'configmaps', 'leases'].includes(resource);
  return {
    group,
    versions: [version],
    resource,
    kind,
    namespaced,
    custom: false,
    statusSubresource,
    defaults,
  };
}

function customResource(
  group: string,
  versions: string[],
  resource: string,
  kind: string,
): FakeResource {
  return {
    group,
    versions,
    resource,
    kind,
    namespaced: true,
    custom: true,
    statusSubresource: false,
  };
}

function applyDefaults(object: KubeObject): void {
  applyApiServerDefaults(object);
}

/** The API server labels every namespace with its own name (since 1.21) and marks it Active. */
function defaultNamespace(object: KubeObject): void {
  object.metadata.labels = {
    ...object.metadata.labels,
    'kubernetes.io/metadata.name': object.metadata.name,
  };
  const status = isObject(object.status) ? object.status : {};
  object.status = { phase: 'Active', ...status };
}

// ---------------------------------------------------------------------------
// Objects and the store

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  resourceVersion?: string;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One managedFields entry; the real server keys them by manager and operation. */
interface FieldOwner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  /** Leaf field paths, each encoded by encodePath. */
  fields: Set<string>;
}

interface StoredObject {
  object: KubeObject;
  /** Keyed by ownerKey(manager, operation). */
  owners: Map<string, FieldOwner>;
}

interface StoredEvent {
  resourceVersion: number;
  type: WatchEventType;
  resource: FakeResource;
  object: KubeObject;
  /** The object before the change, so selector watches can see it leave their set. */
  previous: KubeObject | undefined;
}

/** A request as the server received it, for tests that assert exact calls. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  contentType: string | undefined;
  body: string;
}

export interface FakeVersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  emulationMajor?: string;
  emulationMinor?: string;
}

export interface FakeKubeApiServerOptions {
  /** Bearer token the server requires; generated when omitted. */
  token?: string;
  /** `/version` answer; a string is taken as gitVersion. Default v1.31.2. */
  version?: string | FakeVersionInfo;
  /** Resources served in addition to DEFAULT_RESOURCES. */
  resources?: readonly FakeResource[];
  /** Reuse certificates across servers in one test file (RSA key generation is slow). */
  certificates?: DevelopmentCertificates;
  /** Plural names of DEFAULT_RESOURCES not to serve, e.g. a cluster without Istio's CRDs. */
  omitResources?: readonly string[];
}

/** Where an object lives, for the test controls. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

interface Outcome {
  status: number;
  body: unknown;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface OpenWatch {
  resource: FakeResource;
  version: string;
  namespace: string | undefined;
  matches: (object: KubeObject) => boolean;
  bookmarks: boolean;
  response: ServerResponse;
}

const TEST_MANAGER = 'fake-kube-apiserver-test';

let sharedCertificates: DevelopmentCertificates | undefined;

function certificatesForTests(): DevelopmentCertificates {
  sharedCertificates ??= generateDevelopmentCertificates({
    service: 'kubernetes',
    namespace: 'default',
  });
  return sharedCertificates;
}

export class FakeKubeApiServer {
  /** Every API request received, oldest first (test controls are not recorded). */
  readonly requests: RecordedRequest[] = [];
  readonly token: string;
  readonly caCert: string;

  private readonly resources: FakeResource[];
  private readonly store = new Map<FakeResource, Map<string, StoredObject>>();
  private events: StoredEvent[] = [];
  private currentResourceVersion = 0;
  /** Watches from a resourceVersion older than this get 410 Gone. */
  private oldestWatchableVersion = 0;
  private readonly watches = new Set<OpenWatch>();
  private readonly sockets = new Set<Socket>();
  private available = true;
  private versionInfo: FakeVersionInfo;
  private readonly injectedFailures: {
    matches: (request: RecordedRequest) => boolean;
    status: number;
    remaining: number;
  }[] = [];

  private constructor(
    private readonly server: Server,
    options: FakeKubeApiServerOptions,
    certificates: DevelopmentCertificates,
  ) {
    this.token = options.token ?? randomUUID();
    this.caCert = certificates.caCert;
    this.resources = [
      ...DEFAULT_RESOURCES.filter(
        (resource) => !(options.omitResources ?? []).includes(resource.resource),
      ),
      ...(options.resources ?? []),
    ];
    for (const resource of this.resources) this.store.set(resource, new Map());
    this.versionInfo = versionInfoFrom(options.version ?? 'v1.31.2');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          sendStatus(response, new ApiError(500, 'InternalError', String(error)));
        else response.destroy();
      });
    });
    server.on('secureConnection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: FakeKubeApiServerOptions = {}): Promise<FakeKubeApiServer> {
    const certificates = options.certificates ?? certificatesForTests();
    const server = createServer({ cert: certificates.cert, key: certificates.key });
    const fake = new FakeKubeApiServer(server, options, certificates);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    return fake;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `https://127.0.0.1:${port}`;
  }

  /** A kubeconfig for this server: CA data, bearer token, one context. */
  kubeconfigYaml(): string {
    return yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'fake',
          cluster: {
            server: this.url,
            'certificate-authority-data': Buffer.from(this.caCert).toString('base64'),
          },
        },
      ],
      users: [{ name: 'fake-user', user: { token: this.token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake-user' } }],
      'current-context': 'fake',
    });
  }

  /** Writes kubeconfigYaml() to `<dir>/kubeconfig` (a new temporary directory by default). */
  async writeKubeconfig(dir?: string): Promise<string> {
    const directory = dir ?? (await mkdtemp(join(tmpdir(), 'fake-kube-')));
    const path = join(directory, 'kubeconfig');
    await writeFile(path, this.kubeconfigYaml());
    return path;
  }

  /** A KubeConfig loaded from kubeconfigYaml(), as client-node loads one from disk. */
  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfigYaml());
    return config;
  }

  async close(): Promise<void> {
    for (const watch of this.watches) watch.response.destroy();
    this.watches.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
  }

  // -------------------------------------------------------------------------
  // Test controls

  /** The latest resourceVersion handed out (0 before the first write). */
  resourceVersion(): number {
    return this.currentResourceVersion;
  }

  /** Creates an object as if by POST; throws with the Status message on failure. */
  create(object: KubeObject): KubeObject {
    const { resource, version } = this.resourceForObject(object);
    return this.control(() =>
      this.createObject(resource, version, object.metadata.namespace, object, TEST_MANAGER, false),
    );
  }

  /** Replaces an object as if by PUT (resourceVersion checked only when set). */
  update(object: KubeObject): KubeObject {
    const { resource, version } = this.resourceForObject(object);
    return this.control(() =>
      this.replaceObject(
        resource,
        version,
        object.metadata.namespace,
        object.metadata.name,
        object,
        TEST_MANAGER,
        false,
      ),
    );
  }

  delete(ref: ObjectRef): KubeObject {
    const { resource, version } = this.resourceForObject(ref);
    return this.control(() => this.deleteObject(resource, version, ref.namespace, ref.name));
  }

  get(ref: ObjectRef): KubeObject | undefined {
    const { resource, version } = this.resourceForObject(ref);
    const stored = this.objects(resource).get(objectKey(ref.namespace, ref.name));
    return stored === undefined ? undefined : withTypeMeta(resource, version, stored.object);
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const { resource, version } = this.resourceForObject({ apiVersion, kind });
    return this.sortedObjects(resource, namespace).map((stored) =>
      withTypeMeta(resource, version, stored.object),
    );
  }

  /** Makes every resourceVersion older than the current one too old to watch from (410 Gone). */
  compact(): void {
    this.oldestWatchableVersion = this.currentResourceVersion;
    this.events = [];
  }

  /** Destroys open watch connections without ending the response (a network failure). */
  dropWatches(): void {
    for (const watch of this.watches) watch.response.socket?.destroy();
    this.watches.clear();
  }

  /** Ends open watch streams normally, as the server does when a watch times out. */
  closeWatchesCleanly(): void {
    for (const watch of this.watches) watch.response.end();
    this.watches.clear();
  }

  /** Sends an ERROR 410 event to every open watch and ends it (watch cache too far behind). */
  expireWatches(): void {
    for (const watch of this.watches) {
      writeEvent(watch.response, 'ERROR', goneStatus(this.oldestWatchableVersion));
      watch.response.end();
    }
    this.watches.clear();
  }

  /** Sends a BOOKMARK with the current resourceVersion to watches that allow bookmarks. */
  sendBookmarks(): void {
    for (const watch of this.watches) {
      if (!watch.bookmarks) continue;
      writeEvent(watch.response, 'BOOKMARK', {
        kind: watch.resource.kind,
        apiVersion: apiVersionOf(watch.resource, watch.version),
        metadata: { resourceVersion: String(this.currentResourceVersion) },
      });
    }
  }

  openWatchCount(): number {
    return this.watches.size;
  }

  /** While unavailable every API request gets 503 (watches already open stay open). */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  /**
   * Answers the next `times` API requests that `matches` with an error Status of
   * `status` (500 InternalError by default), as a flaky API server or webhook would;
   * other requests are served normally. The requests are still recorded.
   */
  failRequests(matches: (request: RecordedRequest) => boolean, times: number, status = 500): void {
    this.injectedFailures.push({ matches, status, remaining: times });
  }

  setVersion(version: string | FakeVersionInfo): void {
    this.versionInfo = versionInfoFrom(version);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  private control(operation: () => Outcome): KubeObject {
    try {
      return operation().body as KubeObject;
    } catch (error) {
      if (error instanceof ApiError) {
        throw new Error(`fake API server: ${error.code} ${error.reason}: ${error.message}`);
      }
      throw error;
    }
  }

  private resourceForObject(object: { apiVersion?: string; kind?: string }): {
    resource: FakeResource;
    version: string;
  } {
    const [group, version] = splitApiVersion(object.apiVersion ?? '');
    const resource = this.resources.find(
      (candidate) =>
        candidate.group === group &&
        candidate.kind === object.kind &&
        candidate.versions.includes(version),
    );
    if (resource === undefined) {
      throw new Error(
        `fake API server does not serve ${object.apiVersion ?? '?'} ${object.kind ?? '?'}`,
      );
    }
    return { resource, version };
  }

  // -------------------------------------------------------------------------
  // HTTP

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://fake');
    const body = await readBody(request);
    const contentType = request.headers['content-type']?.split(';')[0]?.trim();
    this.requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      contentType,
      body,
    });
    const injected = this.injectedFailures.find(
      (failure) =>
        failure.remaining > 0 &&
        failure.matches(this.requests[this.requests.length - 1] as RecordedRequest),
    );
    if (injected !== undefined) {
      injected.remaining -= 1;
      sendStatus(response, new ApiError(injected.status, 'InternalError', 'injected failure'));
      return;
    }
    if (!this.available) {
      sendStatus(
        response,
        new ApiError(503, 'ServiceUnavailable', 'the fake API server is unavailable'),
      );
      return;
    }
    if (request.headers.authorization !== `Bearer ${this.token}`) {
      sendStatus(response, new ApiError(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    try {
      const outcome = this.route(
        request.method ?? 'GET',
        url,
        contentType,
        body,
        request,
        response,
      );
      if (outcome !== undefined) sendJson(response, outcome.status, outcome.body);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      sendStatus(response, error);
    }
  }

  /** Returns undefined when the response is a watch stream that route() has taken over. */
  private route(
    method: string,
    url: URL,
    contentType: string | undefined,
    body: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Outcome | undefined {
    const path = url.pathname.replace(/\/+$/, '');
    const query = url.searchParams;
    const discovery = this.discovery(path);
    if (discovery !== undefined) {
      if (method !== 'GET') throw methodNotAllowed(method);
      return { status: 200, body: discovery };
    }
    const target = this.parseResourcePath(path);
    if (target === undefined)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const { resource, version, namespace, name } = target;
    const manager =
      query.get('fieldManager') ?? managerFromUserAgent(request.headers['user-agent']);
    const dryRun = query.has('dryRun');

    if (name === undefined) {
      if (method === 'GET') {
        if (isTrue(query.get('watch'))) {
          this.startWatch(resource, version, namespace, query, response);
          return undefined;
        }
        return this.listObjects(resource, version, namespace, query);
      }
      if (method === 'POST') {
        requireJson(contentType);
        return this.createObject(
          resource,
          version,
          namespace,
          parseJsonObject(body),
          manager,
          dryRun,
        );
      }
      throw methodNotAllowed(method);
    }
    switch (method) {
      case 'GET':
        return {
          status: 200,
          body: withTypeMeta(resource, version, this.mustGet(resource, namespace, name).object),
        };
      case 'PUT':
        requireJson(contentType);
        return this.replaceObject(
          resource,
          version,
          namespace,
          name,
          parseJsonObject(body),
          manager,
          dryRun,
          true,
        );
      case 'DELETE':
        return dryRun
          ? {
              status: 200,
              body: withTypeMeta(resource, version, this.mustGet(resource, namespace, name).object),
            }
          : this.deleteObject(resource, version, namespace, name);
      case 'PATCH':
        return this.patchObject(
          resource,
          version,
          namespace,
          name,
          contentType,
          body,
          query,
          manager,
          dryRun,
        );
      default:
        throw methodNotAllowed(method);
    }
  }

  private discovery(path: string): unknown {
    if (path === '/version') return { ...this.versionInfo, ...VERSION_FILLER };
    if (path === '/api') {
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    }
    if (path === '/apis') {
      const groups = new Map<string, Set<string>>();
      for (const resource of this.resources) {
        if (resource.group === '') continue;
        const versions = groups.get(resource.group) ?? new Set<string>();
        resource.versions.forEach((version) => versions.add(version));
        groups.set(resource.group, versions);
      }
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...groups].map(([name, versions]) => ({
          name,
          versions: [...versions].map((version) => ({
            groupVersion: `${name}/${version}`,
            version,
          })),
          preferredVersion: {
            groupVersion: `${name}/${[...versions][0] ?? ''}`,
            version: [...versions][0],
          },
        })),
      };
    }
    const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (match === null) return undefined;
    const group = match[2] ?? '';
    const version = match[1] ?? match[3] ?? '';
    const served = this.resources.filter(
      (resource) => resource.group === group && resource.versions.includes(version),
    );
    if (served.length === 0) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group === '' ? version : `${group}/${version}`,
      resources: served.map((resource) => ({
        name: resource.resource,
        singularName: resource.kind.toLowerCase(),
        namespaced: resource.namespaced,
        kind: resource.kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    };
  }

  private parseResourcePath(path: string):
    | {
        resource: FakeResource;
        version: string;
        namespace: string | undefined;
        name: string | undefined;
      }
    | undefined {
    const segments = path
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodeURIComponent);
    let group: string;
    let version: string | undefined;
    let rest: string[];
    if (segments[0] === 'api') {
      group = '';
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === 'apis') {
      group = segments[1] ?? '';
      version = segments[2];
      rest = segments.slice(3);
    } else {
      return undefined;
    }
    const find = (name: string | undefined, namespaced: boolean): FakeResource | undefined =>
      this.resources.find(
        (resource) =>
          resource.group === group &&
          resource.resource === name &&
          version !== undefined &&
          resource.versions.includes(version) &&
          (namespaced ? resource.namespaced : true),
      );
    if (version === undefined) return undefined;
    if (rest.length === 1) {
      const resource = find(rest[0], false);
      return resource && { resource, version, namespace: undefined, name: undefined };
    }
    if (rest.length === 2) {
      const resource = find(rest[0], false);
      return resource && !resource.namespaced
        ? { resource, version, namespace: undefined, name: rest[1] }
        : undefined;
    }
    if (rest[0] === 'namespaces' && (rest.length === 3 || rest.length === 4)) {
      const resource = find(rest[2], true);
      return resource && { resource, version, namespace: rest[1], name: rest[3] };
    }
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Reads

  private objects(resource: FakeResource): Map<string, StoredObject> {
    const objects = this.store.get(resource);
    if (objects === undefined) throw new Error(`no store for ${resource.resource}`);
    return objects;
  }

  private mustGet(
    resource: FakeResource,
    namespace: string | undefined,
    name: string,
  ): StoredObject {
    const stored = this.objects(resource).get(objectKey(namespace, name));
    if (stored === undefined) throw notFound(resource, name);
    return stored;
  }

  /**
   * Objects in key order, sorted once per resourceVersion: a paged list of 50,000
   * Jobs asks for 100 pages, and sorting the whole store for each page made this
   * fake, not the client under test, the bottleneck of the watcher benchmark.
   */
  private readonly sortedCache = new Map<
    FakeResource,
    { resourceVersion: number; keys: string[]; objects: StoredObject[] }
  >();

  private sortedEntries(resource: FakeResource): { keys: string[]; objects: StoredObject[] } {
    const cached = this.sortedCache.get(resource);
    if (cached?.resourceVersion === this.currentResourceVersion) return cached;
    const entries = [...this.objects(resource).entries()].sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    const fresh = {
      resourceVersion: this.currentResourceVersion,
      keys: entries.map(([key]) => key),
      objects: entries.map(([, stored]) => stored),
    };
    this.sortedCache.set(resource, fresh);
    return fresh;
  }

  private sortedObjects(
    resource: FakeResource,
    namespace: string | undefined,
    afterKey?: string,
  ): StoredObject[] {
    const { keys, objects } = this.sortedEntries(resource);
    // First index whose key sorts after afterKey (binary search); 0 without one.
    let low = 0;
    if (afterKey !== undefined) {
      let high = keys.length;
      while (low < high) {
        const middle = (low + high) >>> 1;
        if ((keys[middle] ?? '') <= afterKey) low = middle + 1;
        else high = middle;
      }
    }
    const tail = objects.slice(low);
    return namespace === undefined
      ? tail
      : tail.filter((stored) => stored.object.metadata.namespace === namespace);
  }

  private listObjects(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    query: URLSearchParams,
  ): Outcome {
    const matches = selectorMatcher(query);
    let listVersion = this.currentResourceVersion;
    let continueToken: string | undefined;
    let remainingItemCount: number | undefined;
    const token = query.get('continue');
    let after: string | undefined;
    if (token !== null && token !== '') {
      const decoded = decodeContinue(token);
      listVersion = decoded.resourceVersion;
      after = decoded.after;
    }
    let items = this.sortedObjects(resource, namespace, after)
      .map((stored) => stored.object)
      .filter(matches);
    const limit = Number(query.get('limit') ?? '0');
    if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
      remainingItemCount = items.length - limit;
      items = items.slice(0, limit);
      const last = items[items.length - 1];
      if (last !== undefined) {
        continueToken = encodeContinue(
          listVersion,
          objectKey(last.metadata.namespace, last.metadata.name),
        );
      }
    }
    return {
      status: 200,
      body: {
        kind: `${resource.kind}List`,
        apiVersion: apiVersionOf(resource, version),
        metadata: {
          resourceVersion: String(listVersion),
          ...(continueToken === undefined ? {} : { continue: continueToken, remainingItemCount }),
        },
        // The real server omits kind/apiVersion on items of built-in types only.
        items: items.map((item) =>
          resource.custom ? withTypeMeta(resource, version, item) : withoutTypeMeta(item),
        ),
      },
    };
  }

  private startWatch(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    query: URLSearchParams,
    response: ServerResponse,
  ): void {
    const requested = query.get('resourceVersion') ?? '';
    const from = requested === '' || requested === '0' ? undefined : Number(requested);
    if (from !== undefined && !Number.isInteger(from)) {
      throw new ApiError(400, 'BadRequest', `invalid resource version: ${requested}`);
    }
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.flushHeaders();
    if (from !== undefined && from < this.oldestWatchableVersion) {
      // As the real server: HTTP 200, one ERROR event carrying a 410 Status, end of stream.
      writeEvent(response, 'ERROR', goneStatus(this.oldestWatchableVersion, from));
      response.end();
      return;
    }
    const labelsAndFields = selectorMatcher(query);
    const watch: OpenWatch = {
      resource,
      version,
      namespace,
      matches: (object) =>
        (namespace === undefined || object.metadata.namespace === namespace) &&
        labelsAndFields(object),
      bookmarks: isTrue(query.get('allowWatchBookmarks')),
      response,
    };
    if (from === undefined) {
      for (const stored of this.sortedObjects(resource, namespace)) {
        if (watch.matches(stored.object))
          writeEvent(response, 'ADDED', withTypeMeta(resource, version, stored.object));
      }
    } else {
      for (const event of this.events) {
        if (event.resourceVersion > from) this.deliver(watch, event);
      }
    }
    this.watches.add(watch);
    response.on('close', () => this.watches.delete(watch));
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) {
      const timer = setTimeout(() => {
        this.watches.delete(watch);
        response.end();
      }, timeoutSeconds * 1000);
      response.on('close', () => {
        clearTimeout(timer);
      });
    }
  }

  private deliver(watch: OpenWatch, event: StoredEvent): void {
    if (event.resource !== watch.resource) return;
    const nowMatches = watch.matches(event.object);
    const matchedBefore = event.previous !== undefined && watch.matches(event.previous);
    let type: WatchEventType | undefined;
    if (event.type === 'MODIFIED' && matchedBefore !== nowMatches)
      type = nowMatches ? 'ADDED' : 'DELETED';
    else if (nowMatches) type = event.type;
    if (type !== undefined)
      writeEvent(watch.response, type, withTypeMeta(watch.resource, watch.version, event.object));
  }

  // -------------------------------------------------------------------------
  // Writes

  private commit(
    resource: FakeResource,
    type: WatchEventType,
    next: StoredObject,
    previous: KubeObject | undefined,
  ): KubeObject {
    this.currentResourceVersion += 1;
    next.object.metadata.resourceVersion = String(this.currentResourceVersion);
    next.object.metadata.managedFields = renderManagedFields(next.owners);
    const key = objectKey(next.object.metadata.namespace, next.object.metadata.name);
    if (type === 'DELETED') this.objects(resource).delete(key);
    else this.objects(resource).set(key, next);
    const event: StoredEvent = {
      resourceVersion: this.currentResourceVersion,
      type,
      resource,
      object: structuredClone(next.object),
      previous,
    };
    this.events.push(event);
    for (const watch of this.watches) this.deliver(watch, event);
    return next.object;
  }

  private checkNamespace(
    resource: FakeResource,
    namespace: string | undefined,
    forCreate: boolean,
  ): void {
    if (!resource.namespaced) return;
    if (namespace === undefined)
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const namespaces = this.objects(this.namespaceResource());
    const owner = namespaces.get(objectKey(undefined, namespace));
    if (owner === undefined) {
      throw new ApiError(404, 'NotFound', `namespaces "${namespace}" not found`, {
        name: namespace,
        kind: 'namespaces',
      });
    }
    const status = owner.object.status;
    if (forCreate && isObject(status) && status.phase === 'Terminating') {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private namespaceResource(): FakeResource {
    const resource = this.resources.find(
      (candidate) => candidate.group === '' && candidate.resource === 'namespaces',
    );
    if (resource === undefined) throw new Error('namespaces are not served');
    return resource;
  }

  private createObject(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    input: KubeObject,
    manager: string,
    dryRun: boolean,
  ): Outcome {
    const object = structuredClone(input);
    checkTypeMeta(resource, version, object);
    const metadata = isObject(object.metadata) ? object.metadata : ({} as ObjectMeta);
    object.metadata = metadata;
    if (resource.namespaced) {
      if (
        metadata.namespace !== undefined &&
        namespace !== undefined &&
        metadata.namespace !== namespace
      ) {
        throw new ApiError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = namespace ?? metadata.namespace;
    } else {
      delete metadata.namespace;
    }
    if ((metadata.name ?? '') === '' && typeof metadata.generateName === 'string') {
      metadata.name = metadata.generateName + randomUUID().slice(0, 5);
    }
    validateMeta(resource, metadata);
    this.checkNamespace(resource, metadata.namespace, true);
    if (this.objects(resource).has(objectKey(metadata.namespace, metadata.name))) {
      throw new ApiError(
        409,
        'AlreadyExists',
        `${qualifiedResource(resource)} "${metadata.name}" already exists`,
        {
          name: metadata.name,
          kind: resource.resource,
        },
      );
    }
    if (resource.statusSubresource) delete object.status;
    prepareNewObject(resource, object);
    const owners = new Map<string, FieldOwner>();
    owners.set(ownerKey(manager, 'Update'), {
      manager,
      operation: 'Update',
      apiVersion: apiVersionOf(resource, version),
      fields: new Set(leafPaths(object)),
    });
    if (dryRun) return { status: 201, body: withTypeMeta(resource, version, object) };
    const created = this.commit(resource, 'ADDED', { object, owners }, undefined);
    return { status: 201, body: withTypeMeta(resource, version, created) };
  }

  private replaceObject(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    name: string,
    input: KubeObject,
    manager: string,
    dryRun: boolean,
    fromHttp = false,
  ): Outcome {
    const live = this.mustGet(resource, namespace, name);
    const next = structuredClone(input);
    checkTypeMeta(resource, version, next);
    if (!isObject(next.metadata) || next.metadata.name !== name) {
      throw new ApiError(
        400,
        'BadRequest',
        'the name of the object does not match the name on the URL',
      );
    }
    const requested = next.metadata.resourceVersion;
    if (requested === undefined || requested === '') {
      if (resource.custom && fromHttp) {
        throw new ApiError(
          422,
          'Invalid',
          `${qualifiedResource(resource)} "${name}" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`,
        );
      }
    } else if (requested !== live.object.metadata.resourceVersion) {
      throw modifiedConflict(resource, name);
    }
    return this.writeUpdate(resource, version, live, next, manager, dryRun, fromHttp);
  }

  /** Shared tail of PUT and the non-apply patches: immutable metadata, defaults, ownership, commit. */
  private writeUpdate(
    resource: FakeResource,
    version: string,
    live: StoredObject,
    input: KubeObject,
    manager: string,
    dryRun: boolean,
    fromHttp: boolean,
  ): Outcome {
    const next = structuredClone(input);
    next.metadata = { ...next.metadata };
    for (const field of SERVER_OWNED_METADATA) {
      if (live.object.metadata[field] === undefined) Reflect.deleteProperty(next.metadata, field);
      else (next.metadata as Record<string, unknown>)[field] = live.object.metadata[field];
    }
    next.metadata.namespace = live.object.metadata.namespace;
    if (!resource.namespaced) delete next.metadata.namespace;
    if (fromHttp && resource.statusSubresource) {
      if (live.object.status === undefined) delete next.status;
      else next.status = structuredClone(live.object.status);
    }
    next.apiVersion = live.object.apiVersion;
    next.kind = live.object.kind;
    validateMeta(resource, next.metadata);
    resource.defaults?.(next);
    bumpGeneration(live.object, next);
    const owners = cloneOwners(live.owners);
    recordUpdate(owners, manager, apiVersionOf(resource, version), live.object, next);
    if (sameContent(live.object, next) && sameOwners(live.owners, owners)) {
      return { status: 200, body: withTypeMeta(resource, version, live.object) };
    }
    if (dryRun) return { status: 200, body: withTypeMeta(resource, version, next) };
    const previous = structuredClone(live.object);
    return {
      status: 200,
      body: withTypeMeta(
        resource,
        version,
        this.commit(resource, 'MODIFIED', { object: next, owners }, previous),
      ),
    };
  }

  private deleteObject(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    name: string,
  ): Outcome {
    const live = this.mustGet(resource, namespace, name);
    if (resource === this.namespaceResource()) {
      // The namespace controller deletes the content before the namespace disappears.
      for (const other of this.resources) {
        if (!other.namespaced) continue;
        for (const stored of this.sortedObjects(other, name)) {
          this.commit(
            other,
            'DELETED',
            { object: structuredClone(stored.object), owners: stored.owners },
            stored.object,
          );
        }
      }
    }
    const deleted = this.commit(
      resource,
      'DELETED',
      { object: structuredClone(live.object), owners: live.owners },
      live.object,
    );
    return { status: 200, body: withTypeMeta(resource, version, deleted) };
  }

  private patchObject(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    name: string,
    contentType: string | undefined,
    body: string,
    query: URLSearchParams,
    manager: string,
    dryRun: boolean,
  ): Outcome {
    switch (contentType) {
      case 'application/apply-patch+yaml':
        return this.applyObject(resource, version, namespace, name, body, query, dryRun);
      case 'application/merge-patch+json':
        return this.mergePatch(resource, version, namespace, name, body, manager, dryRun);
      case 'application/strategic-merge-patch+json':
        if (resource.custom) throw unsupportedPatch(resource);
        // Approximation: for the flat fields tests patch, strategic merge equals merge patch.
        return this.mergePatch(resource, version, namespace, name, body, manager, dryRun);
      case 'application/json-patch+json': {
        const live = this.mustGet(resource, namespace, name);
        const operations = parseJson(body);
        if (!Array.isArray(operations)) {
          throw new ApiError(
            400,
            'BadRequest',
            'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
          );
        }
        let patched: KubeObject;
        try {
          patched = jsonPatch.applyPatch(
            structuredClone(live.object),
            operations as Operation[],
            true,
            false,
          ).newDocument;
        } catch (error) {
          throw new ApiError(
            422,
            'Invalid',
            `the JSON patch could not be applied: ${String(error)}`,
          );
        }
        return this.afterPatch(resource, version, live, patched, name, manager, dryRun);
      }
      default:
        throw unsupportedPatch(resource);
    }
  }

  private mergePatch(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    name: string,
    body: string,
    manager: string,
    dryRun: boolean,
  ): Outcome {
    const live = this.mustGet(resource, namespace, name);
    const patch = parseJson(body);
    if (!isObject(patch))
      throw new ApiError(400, 'BadRequest', 'a merge patch must be a JSON object');
    const patched = mergePatch(structuredClone(live.object), patch) as KubeObject;
    return this.afterPatch(resource, version, live, patched, name, manager, dryRun);
  }

  private afterPatch(
    resource: FakeResource,
    version: string,
    live: StoredObject,
    patched: KubeObject,
    name: string,
    manager: string,
    dryRun: boolean,
  ): Outcome {
    if (!isObject(patched.metadata) || patched.metadata.name !== name) {
      throw new ApiError(400, 'BadRequest', 'the name of the object cannot be changed by a patch');
    }
    const requested = patched.metadata.resourceVersion;
    if (requested !== undefined && requested !== live.object.metadata.resourceVersion) {
      throw modifiedConflict(resource, name);
    }
    return this.writeUpdate(resource, version, live, patched, manager, dryRun, true);
  }

  /** Server-side apply with a per-leaf-path ownership model. */
  private applyObject(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    name: string,
    body: string,
    query: URLSearchParams,
    dryRun: boolean,
  ): Outcome {
    const manager = query.get('fieldManager');
    if (manager === null || manager === '') {
      throw new ApiError(
        400,
        'BadRequest',
        'PATCH, application/apply-patch+yaml requests require a fieldManager',
      );
    }
    const force = isTrue(query.get('force'));
    const config = parseAppliedConfiguration(resource, version, namespace, name, body);
    const apiVersion = apiVersionOf(resource, version);
    const appliedPaths = leafPaths(config);
    const live = this.objects(resource).get(objectKey(namespace, name));

    if (live === undefined) {
      return this.createByApply(resource, version, namespace, config, manager, dryRun);
    }

    const applyKey = ownerKey(manager, 'Apply');
    const conflicts = findApplyConflicts(live, config, appliedPaths, applyKey);
    if (conflicts.length > 0 && !force) throw applyConflict(resource, name, conflicts);

    const next = structuredClone(live.object);
    // Fields this manager applied before but no longer applies are removed, unless shared.
    for (const path of live.owners.get(applyKey)?.fields ?? []) {
      const ownedElsewhere = [...live.owners].some(
        ([key, owner]) => key !== applyKey && owner.fields.has(path),
      );
      if (!appliedPaths.includes(path) && !ownedElsewhere) deletePath(next, path);
    }
    for (const path of appliedPaths) setPath(next, path, structuredClone(getPath(config, path)));
    validateMeta(resource, next.metadata);
    resource.defaults?.(next);
    bumpGeneration(live.object, next);
    const owners = cloneOwners(live.owners);
    for (const conflict of conflicts) owners.get(conflict.key)?.fields.delete(conflict.path);
    owners.set(applyKey, {
      manager,
      operation: 'Apply',
      apiVersion,
      fields: new Set(appliedPaths),
    });
    pruneOwners(owners, next);
    if (sameContent(live.object, next) && sameOwners(live.owners, owners)) {
      return { status: 200, body: withTypeMeta(resource, version, live.object) };
    }
    if (dryRun) return { status: 200, body: withTypeMeta(resource, version, next) };
    const previous = structuredClone(live.object);
    return {
      status: 200,
      body: withTypeMeta(
        resource,
        version,
        this.commit(resource, 'MODIFIED', { object: next, owners }, previous),
      ),
    };
  }

  private createByApply(
    resource: FakeResource,
    version: string,
    namespace: string | undefined,
    config: KubeObject,
    manager: string,
    dryRun: boolean,
  ): Outcome {
    const apiVersion = apiVersionOf(resource, version);
    const appliedPaths = leafPaths(config);
    const object = structuredClone(config);
    if (resource.namespaced) object.metadata.namespace = namespace;
    validateMeta(resource, object.metadata);
    this.checkNamespace(resource, namespace, true);
    prepareNewObject(resource, object);
    const owners = new Map<string, FieldOwner>([
      [
        ownerKey(manager, 'Apply'),
        { manager, operation: 'Apply', apiVersion, fields: new Set(appliedPaths) },
      ],
    ]);
    if (dryRun) return { status: 201, body: withTypeMeta(resource, version, object) };
    return {
      status: 201,
      body: withTypeMeta(
        resource,
        version,
        this.commit(resource, 'ADDED', { object, owners }, undefined),
      ),
    };
  }
}

// ---------------------------------------------------------------------------
// Helpers

function findApplyConflicts(
  live: StoredObject,
  config: KubeObject,
  appliedPaths: readonly string[],
  applyKey: string,
): { key: string; owner: FieldOwner; path: string }[] {
  const conflicts: { key: string; owner: FieldOwner; path: string }[] = [];
  for (const path of appliedPaths) {
    if (isDeepStrictEqual(getPath(live.object, path), getPath(config, path))) continue;
    for (const [key, owner] of live.owners) {
      if (key !== applyKey && owner.fields.has(path)) conflicts.push({ key, owner, path });
    }
  }
  return conflicts;
}

function parseAppliedConfiguration(
  resource: FakeResource,
  version: string,
  namespace: string | undefined,
  name: string,
  body: string,
): KubeObject {
  let applied: unknown;
  try {
    applied = yaml.load(body);
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `error decoding YAML: ${String(error)}`);
  }
  if (!isObject(applied) || !isObject(applied.metadata)) {
    throw new ApiError(
      400,
      'BadRequest',
      'the applied configuration must be an object with metadata',
    );
  }
  const config = applied as KubeObject;
  const apiVersion = apiVersionOf(resource, version);
  if (config.apiVersion !== apiVersion || config.kind !== resource.kind) {
    throw new ApiError(
      400,
      'BadRequest',
      `the applied configuration must have apiVersion ${apiVersion} and kind ${resource.kind}`,
    );
  }
  if (config.metadata.name !== name) {
    throw new ApiError(
      400,
      'BadRequest',
      'the name of the applied configuration does not match the name on the URL',
    );
  }
  if (
    resource.namespaced &&
    config.metadata.namespace !== undefined &&
    config.metadata.namespace !== namespace
  ) {
    throw new ApiError(
      400,
      'BadRequest',
      'the namespace of the provided object does not match the namespace sent on the request',
    );
  }
  return config;
}

const VERSION_FILLER = {
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-01-01T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

function versionInfoFrom(version: string | FakeVersionInfo): FakeVersionInfo {
  if (typeof version !== 'string') return version;
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  return { major: match?.[1] ?? '', minor: match?.[2] ?? '', gitVersion: version };
}

/** Metadata only the server sets; client values are ignored on update. */
const SERVER_OWNED_METADATA = [
  'uid',
  'creationTimestamp',
  'generation',
  'resourceVersion',
  'managedFields',
] as const;

/** Fields outside field ownership: identity and server-owned metadata. */
const UNOWNED_PATHS = new Set(
  [
    ['apiVersion'],
    ['kind'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ...SERVER_OWNED_METADATA.map((field) => ['metadata', field]),
  ].map(encodePath),
);

function prepareNewObject(resource: FakeResource, object: KubeObject): void {
  object.apiVersion = apiVersionOf(resource, resource.versions[0] ?? '');
  object.kind = resource.kind;
  object.metadata.uid = randomUUID();
  object.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  object.metadata.generation = 1;
  delete object.metadata.resourceVersion;
  delete object.metadata.managedFields;
  resource.defaults?.(object);
}

function bumpGeneration(live: KubeObject, next: KubeObject): void {
  const generation = typeof live.metadata.generation === 'number' ? live.metadata.generation : 1;
  const specChanged = !isDeepStrictEqual(
    omitKeys(live, ['metadata', 'status']),
    omitKeys(next, ['metadata', 'status']),
  );
  next.metadata.generation = specChanged ? generation + 1 : generation;
}

function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (object: KubeObject): KubeObject => ({
    ...object,
    metadata: { ...object.metadata, managedFields: undefined, resourceVersion: undefined },
  });
  return isDeepStrictEqual(strip(a), strip(b));
}

function ownerKey(manager: string, operation: FieldOwner['operation']): string {
  return JSON.stringify([manager, operation]);
}

function cloneOwners(owners: Map<string, FieldOwner>): Map<string, FieldOwner> {
  return new Map(
    [...owners].map(([key, owner]) => [key, { ...owner, fields: new Set(owner.fields) }]),
  );
}

function sameOwners(a: Map<string, FieldOwner>, b: Map<string, FieldOwner>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, owner] of a) {
    const other = b.get(key);
    if (other === undefined || !isDeepStrictEqual(owner.fields, other.fields)) return false;
  }
  return true;
}

/** An Update takes every field it changed; other managers lose those fields. */
function recordUpdate(
  owners: Map<string, FieldOwner>,
  manager: string,
  apiVersion: string,
  before: KubeObject,
  after: KubeObject,
): void {
  const changed = leafPaths(after).filter(
    (path) => !isDeepStrictEqual(getPath(before, path), getPath(after, path)),
  );
  const updateKey = ownerKey(manager, 'Update');
  if (changed.length > 0) {
    for (const [key, owner] of owners) {
      if (key !== updateKey) changed.forEach((path) => owner.fields.delete(path));
    }
    const fields = new Set(owners.get(updateKey)?.fields ?? []);
    changed.forEach((path) => fields.add(path));
    owners.set(updateKey, { manager, operation: 'Update', apiVersion, fields });
  }
  pruneOwners(owners, after);
}

/** Drops ownership of fields that no longer exist, and managers that own nothing. */
function pruneOwners(owners: Map<string, FieldOwner>, object: KubeObject): void {
  const present = new Set(leafPaths(object));
  for (const [key, owner] of owners) {
    for (const path of owner.fields) if (!present.has(path)) owner.fields.delete(path);
    if (owner.fields.size === 0) owners.delete(key);
  }
}

function renderManagedFields(owners: Map<string, FieldOwner>): unknown[] {
  return [...owners.values()].map((owner) => {
    const fieldsV1: Record<string, unknown> = {};
    for (const path of owner.fields) {
      let node = fieldsV1;
      for (const segment of decodePath(path)) {
        const key = `f:${segment}`;
        const child = isObject(node[key]) ? node[key] : {};
        node[key] = child;
        node = child;
      }
    }
    const { manager, operation, apiVersion } = owner;
    return { manager, operation, apiVersion, fieldsType: 'FieldsV1', fieldsV1 };
  });
}

function encodePath(segments: readonly string[]): string {
  return JSON.stringify(segments);
}

function decodePath(path: string): string[] {
  return JSON.parse(path) as string[];
}

/** Leaf field paths: maps are descended into; scalars, lists and empty maps are leaves. */
function leafPaths(object: unknown, prefix: string[] = []): string[] {
  if (!isObject(object) || (Object.keys(object).length === 0 && prefix.length > 0))
    return [encodePath(prefix)];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(object)) {
    const path = [...prefix, key];
    if (UNOWNED_PATHS.has(encodePath(path)) || (prefix.length === 0 && key === 'status')) continue;
    paths.push(...leafPaths(value, path));
  }
  return paths;
}

function getPath(object: unknown, path: string): unknown {
  let node: unknown = object;
  for (const segment of decodePath(path)) {
    if (!isObject(node)) return undefined;
    node = node[segment];
  }
  return node;
}

function setPath(object: KubeObject, path: string, value: unknown): void {
  const segments = decodePath(path);
  let node: Record<string, unknown> = object;
  for (const segment of segments.slice(0, -1)) {
    const child = node[segment];
    const next = isObject(child) ? child : {};
    node[segment] = next;
    node = next;
  }
  const last = segments[segments.length - 1];
  if (last !== undefined) node[last] = value;
}

function deletePath(object: KubeObject, path: string): void {
  const segments = decodePath(path);
  let node: unknown = object;
  for (const segment of segments.slice(0, -1)) {
    if (!isObject(node)) return;
    node = node[segment];
  }
  const last = segments[segments.length - 1];
  if (isObject(node) && last !== undefined) Reflect.deleteProperty(node, last);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) Reflect.deleteProperty(result, key);
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function splitApiVersion(apiVersion: string): [group: string, version: string] {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
}

function apiVersionOf(resource: FakeResource, version: string): string {
  return resource.group === '' ? version : `${resource.group}/${version}`;
}

function qualifiedResource(resource: FakeResource): string {
  return resource.group === '' ? resource.resource : `${resource.resource}.${resource.group}`;
}

function withTypeMeta(resource: FakeResource, version: string, object: KubeObject): KubeObject {
  return {
    ...structuredClone(object),
    apiVersion: apiVersionOf(resource, version),
    kind: resource.kind,
  };
}

function withoutTypeMeta(object: KubeObject): KubeObject {
  return omitKeys(structuredClone(object), ['apiVersion', 'kind']) as KubeObject;
}

function omitKeys(
  object: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

function checkTypeMeta(resource: FakeResource, version: string, object: KubeObject): void {
  const expected = apiVersionOf(resource, version);
  if (
    (object.apiVersion !== undefined && object.apiVersion !== expected) ||
    (object.kind !== undefined && object.kind !== resource.kind)
  ) {
    throw new ApiError(
      400,
      'BadRequest',
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateMeta(resource: FakeResource, metadata: ObjectMeta): void {
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  const nameValid =
    resource.resource === 'namespaces'
      ? DNS_LABEL.test(name) && name.length <= 63
      : DNS_SUBDOMAIN.test(name) && name.length <= 253;
  if (!nameValid) {
    throw new ApiError(
      422,
      'Invalid',
      `${qualifiedResource(resource)} "${name}" is invalid: metadata.name: Invalid value: "${name}"`,
    );
  }
  for (const [key, value] of Object.entries(metadata.labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const prefix = slash < 0 ? undefined : key.slice(0, slash);
    const labelName = slash < 0 ? key : key.slice(slash + 1);
    const keyValid =
      LABEL_NAME.test(labelName) &&
      labelName.length <= 63 &&
      (prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253));
    const valueValid = typeof value === 'string' && LABEL_VALUE.test(value) && value.length <= 63;
    if (!keyValid || !valueValid) {
      throw new ApiError(
        422,
        'Invalid',
        `${qualifiedResource(resource)} "${name}" is invalid: metadata.labels: Invalid value: "${value}"`,
      );
    }
  }
}

/** Label selectors (=, ==, !=, in, notin, exists, !exists) and metadata.name/namespace field selectors. */
function selectorMatcher(query: URLSearchParams): (object: KubeObject) => boolean {
  const checks: ((object: KubeObject) => boolean)[] = [];
  const labelSelector = query.get('labelSelector') ?? '';
  for (const requirement of splitSelector(labelSelector))
    checks.push(labelRequirement(requirement));
  const fieldSelector = query.get('fieldSelector') ?? '';
  for (const requirement of splitSelector(fieldSelector)) {
    const match = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(requirement);
    if (match === null)
      throw new ApiError(400, 'BadRequest', `invalid field selector: ${requirement}`);
    const [, field = '', operator, value] = match;
    if (field !== 'metadata.name' && field !== 'metadata.namespace') {
      throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
    }
    const read = (object: KubeObject): string =>
      (field === 'metadata.name' ? object.metadata.name : object.metadata.namespace) ?? '';
    checks.push((object) => (operator === '!=' ? read(object) !== value : read(object) === value));
  }
  return (object) => checks.every((check) => check(object));
}

/** Splits on commas outside parentheses (`env in (a,b),tier`). */
function splitSelector(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const character of selector) {
    if (character === '(') depth += 1;
    if (character === ')') depth -= 1;
    if (character === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function labelRequirement(requirement: string): (object: KubeObject) => boolean {
  const labels = (object: KubeObject): Record<string, string> => object.metadata.labels ?? {};
  const setMatch = /^([\w./-]+)\s+(in|notin)\s+\((.*)\)$/.exec(requirement);
  if (setMatch !== null) {
    const [, key = '', operator, list = ''] = setMatch;
    const values = new Set(list.split(',').map((value) => value.trim()));
    return (object) => {
      const value = labels(object)[key];
      return operator === 'in'
        ? value !== undefined && values.has(value)
        : value === undefined || !values.has(value);
    };
  }
  const equality = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(requirement);
  if (equality !== null) {
    const [, key = '', operator, value] = equality;
    return (object) =>
      operator === '!=' ? labels(object)[key] !== value : labels(object)[key] === value;
  }
  const exists = /^(!?)([\w./-]+)$/.exec(requirement);
  if (exists !== null) {
    const [, negated, key = ''] = exists;
    return (object) => key in labels(object) !== (negated === '!');
  }
  throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${requirement}`);
}

function encodeContinue(resourceVersion: number, after: string): string {
  return Buffer.from(JSON.stringify({ resourceVersion, after })).toString('base64url');
}

function decodeContinue(token: string): { resourceVersion: number; after: string } {
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (
      isObject(decoded) &&
      typeof decoded.resourceVersion === 'number' &&
      typeof decoded.after === 'string'
    ) {
      return { resourceVersion: decoded.resourceVersion, after: decoded.after };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'BadRequest', 'invalid continue token');
}

function managerFromUserAgent(userAgent: string | undefined): string {
  // The real server names the manager after the user agent's product token.
  return (userAgent ?? 'unknown').split('/')[0] ?? 'unknown';
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the body is not valid JSON: ${String(error)}`);
  }
}

function parseJsonObject(body: string): KubeObject {
  const parsed = parseJson(body);
  if (!isObject(parsed)) throw new ApiError(400, 'BadRequest', 'the body must be a JSON object');
  if (!isObject(parsed.metadata)) parsed.metadata = {};
  return parsed as KubeObject;
}

function requireJson(contentType: string | undefined): void {
  if (contentType !== 'application/json') {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json`,
    );
  }
}

function unsupportedPatch(resource: FakeResource): ApiError {
  const accepted = [
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/apply-patch+yaml',
    ...(resource.custom ? [] : ['application/strategic-merge-patch+json']),
  ];
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

function notFound(resource: FakeResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(resource)} "${name}" not found`, {
    name,
    group: resource.group,
    kind: resource.resource,
  });
}

function modifiedConflict(resource: FakeResource, name: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: resource.group, kind: resource.resource },
  );
}

function applyConflict(
  resource: FakeResource,
  name: string,
  conflicts: readonly { owner: FieldOwner; path: string }[],
): ApiError {
  const causes = conflicts.map(({ owner, path }) => {
    const field = '.' + decodePath(path).join('.');
    return {
      type: 'FieldManagerConflict',
      message: `conflict with "${owner.manager}" using ${owner.apiVersion}`,
      field,
    };
  });
  const lines = causes.map((cause) => `${cause.message}: ${cause.field}`);
  const summary = `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${lines.join('\n')}`;
  return new ApiError(409, 'Conflict', summary, {
    name,
    group: resource.group,
    kind: resource.resource,
    causes,
  });
}

function methodNotAllowed(method: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`,
  );
}

function goneStatus(oldest: number, requested?: number): unknown {
  const detail = requested === undefined ? '' : ` (${requested} < ${oldest})`;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `too old resource version${detail}`,
    reason: 'Expired',
    code: 410,
  };
}

function writeEvent(response: ServerResponse, type: string, object: unknown): void {
  if (!response.writableEnded && !response.destroyed)
    response.write(JSON.stringify({ type, object }) + '\n');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

function sendStatus(response: ServerResponse, error: ApiError): void {
  sendJson(response, error.code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: error.message,
    reason: error.reason,
    ...(error.details === undefined ? {} : { details: error.details }),
    code: error.code,
  });
}

/**
 * Container image references as the kubelet and containerd read them (both use the
 * distribution/reference grammar with Docker Hub normalisation):
 *
 *     reference  := name [ ":" tag ] [ "@" digest ]
 *     name       := [ domain "/" ] path
 *     domain     := host [ ":" port ]          host := dns-name | "[" ipv6 "]"
 *     path       := component ( "/" component )*
 *     component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *     tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *     digest     := algorithm ":" hex           (sha256: 64, sha384: 96, sha512: 128 lowercase hex)
 *
 * The first path segment is a registry only when it contains "." or ":", is exactly
 * "localhost", or contains an uppercase letter; otherwise the registry is docker.io, and a
 * single-segment Docker Hub repository gets the "library/" prefix (`nginx` is
 * `docker.io/library/nginx`). `index.docker.io` is an alias of `docker.io`.
 */
import { globMatch } from '../util/glob.js';

export interface ImageReference {
  /** Registry host, with port when given; 'docker.io' when implied. */
  registry: string;
  /** Repository path inside the registry: 'library/nginx' for 'nginx'. */
  repository: string;
  tag?: string;
  digest?: string;
  /** True when the image did not name a registry and docker.io was assumed. */
  implicitRegistry: boolean;
}

export type ImageReferenceResult = ImageReference | { error: string };

const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_REPOSITORY_PREFIX = 'library/';
/** distribution/reference NameTotalLengthMax: registry + "/" + repository. */
const MAX_NAME_LENGTH = 255;
const MAX_TAG_LENGTH = 128;
/** go-digest's registered algorithms and their hex lengths; any other algorithm is refused. */
const DIGEST_HEX_LENGTHS: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

export function parseImageReference(image: string): ImageReferenceResult {
  if (typeof image !== 'string') return { error: 'image reference must be a string' };
  if (image.length === 0) return { error: 'image reference is empty' };
  if (/\s/.test(image)) return { error: 'image reference must not contain whitespace' };
  if (image.includes('$') || image.includes('{') || image.includes('}')) {
    return {
      error: `image reference ${JSON.stringify(image)} contains an unexpanded placeholder; Kubernetes does not expand variables in image`,
    };
  }

  const atIndex = image.indexOf('@');
  const nameAndTag = atIndex === -1 ? image : image.slice(0, atIndex);
  const digest = atIndex === -1 ? undefined : image.slice(atIndex + 1);
  if (digest !== undefined) {
    const digestError = validateDigest(digest);
    if (digestError !== undefined) return { error: digestError };
  }

  // A ":" after the last "/" separates the tag; one before it belongs to a registry port.
  const lastSlash = nameAndTag.lastIndexOf('/');
  const tagColon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = tagColon === -1 ? nameAndTag : nameAndTag.slice(0, tagColon);
  const tag = tagColon === -1 ? undefined : nameAndTag.slice(tagColon + 1);
  if (tag !== undefined && !isValidTag(tag)) {
    return {
      error: `invalid tag ${JSON.stringify(tag)}: use letters, digits, "_", "." and "-", at most 128 characters, not starting with "." or "-"`,
    };
  }

  const split = splitRegistry(name);
  if ('error' in split) return split;
  const { registry, repository, implicitRegistry } = split;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    return { error: `repository name must not be longer than ${MAX_NAME_LENGTH} characters` };
  }

  const reference: ImageReference = { registry, repository, implicitRegistry };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/**
 * The tag the runtime will pull: 'latest' when the image names neither a tag nor a digest;
 * the tag when one is given; '' when the image is pinned by digest alone (no tag applies).
 */
export function effectiveTag(reference: ImageReference): string {
  if (reference.tag !== undefined) return reference.tag;
  return reference.digest === undefined ? 'latest' : '';
}

/**
 * Whether an image comes from a registry pattern: `host` or `host/path-prefix`.
 * The host part may use `*` and `?` globs (`*.gcr.io`, `registry-?.example.com`) and is
 * compared case-insensitively, as DNS names are. The path prefix is literal and matches
 * whole segments: `ghcr.io/org` matches `ghcr.io/org/app` but not `ghcr.io/organisation/app`.
 * `*.gcr.io` does not match `gcr.io` itself; list both when both are meant.
 */
export function matchesRegistryPattern(reference: ImageReference, pattern: string): boolean {
  const trimmed = pattern.trim().replace(/\/+$/, '');
  if (trimmed.length === 0) return false;
  const slash = trimmed.indexOf('/');
  const hostPattern = normalizeRegistry(
    (slash === -1 ? trimmed : trimmed.slice(0, slash)).toLowerCase(),
  );
  const pathPrefix = slash === -1 ? '' : trimmed.slice(slash + 1);

  if (!globMatch(hostPattern, normalizeRegistry(reference.registry.toLowerCase()))) return false;
  if (pathPrefix === '') return true;
  return reference.repository === pathPrefix || reference.repository.startsWith(pathPrefix + '/');
}

function normalizeRegistry(registry: string): string {
  return registry === LEGACY_DEFAULT_REGISTRY ? DEFAULT_REGISTRY : registry;
}

function splitRegistry(
  name: string,
): { registry: string; repository: string; implicitRegistry: boolean } | { error: string } {
  const firstSlash = name.indexOf('/');
  const firstSegment = firstSlash === -1 ? '' : name.slice(0, firstSlash);
  const namesRegistry =
    firstSlash !== -1 &&
    (firstSegment.includes('.') ||
      firstSegment.includes(':') ||
      firstSegment === 'localhost' ||
      firstSegment !== firstSegment.toLowerCase());

  let registry = DEFAULT_REGISTRY;
  let repository = name;
  if (namesRegistry) {
    if (!isValidRegistry(firstSegment)) {
      return { error: `invalid registry ${JSON.stringify(firstSegment)}` };
    }
    registry = normalizeRegistry(firstSegment);
    repository = name.slice(firstSlash + 1);
  }

  if (repository.length === 0) return { error: 'repository name is empty' };
  if (repository !== repository.toLowerCase()) {
    return { error: `repository name ${JSON.stringify(repository)} must be lowercase` };
  }
  if (/^[a-f0-9]{64}$/.test(repository)) {
    return {
      error:
        'repository name must not be a 64-character hexadecimal string (it would be read as an image ID)',
    };
  }
  const badComponent = repository.split('/').find((component) => !isValidPathComponent(component));
  if (badComponent !== undefined) {
    return {
      error: `invalid repository path component ${JSON.stringify(badComponent)}: use lowercase letters and digits separated by ".", "_", "__" or "-"`,
    };
  }
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) {
    repository = OFFICIAL_REPOSITORY_PREFIX + repository;
  }
  return { registry, repository, implicitRegistry: !namesRegistry };
}

function isValidRegistry(registry: string): boolean {
  let host = registry;
  const portColon = registry.startsWith('[')
    ? registry.indexOf(':', registry.indexOf(']'))
    : registry.lastIndexOf(':');
  if (portColon !== -1) {
    const port = registry.slice(portColon + 1);
    if (port.length === 0 || !isAllDigits(port)) return false;
    host = registry.slice(0, portColon);
  }
  if (host.startsWith('[')) return isBracketedIpv6(host);
  return host.length > 0 && host.split('.').every(isValidDomainLabel);
}

function isBracketedIpv6(host: string): boolean {
  if (!host.endsWith(']') || host.length < 3) return false;
  for (const char of host.slice(1, -1)) {
    if (!(isHexDigit(char) || char === ':')) return false;
  }
  return true;
}

/** A DNS label as distribution accepts it: alphanumerics and inner hyphens, any case. */
function isValidDomainLabel(label: string): boolean {
  if (label.length === 0 || label.startsWith('-') || label.endsWith('-')) return false;
  for (const char of label) {
    if (!(isAsciiAlphanumeric(char) || char === '-')) return false;
  }
  return true;
}

/** [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*, without a regular expression. */
function isValidPathComponent(component: string): boolean {
  let index = 0;
  while (index < component.length) {
    const runStart = index;
    while (index < component.length && isLowerAlphanumeric(component.charAt(index))) index++;
    if (index === runStart) return false; // empty run: leading, trailing or doubled separator
    if (index === component.length) return true;
    const separatorStart = index;
    while (index < component.length && !isLowerAlphanumeric(component.charAt(index))) index++;
    if (!isSeparator(component.slice(separatorStart, index))) return false;
    if (index === component.length) return false; // trailing separator
  }
  return false; // empty component
}

function isSeparator(separator: string): boolean {
  if (separator === '.' || separator === '_' || separator === '__') return true;
  return separator.length > 0 && separator.replaceAll('-', '') === '';
}

function isValidTag(tag: string): boolean {
  if (tag.length === 0 || tag.length > MAX_TAG_LENGTH) return false;
  if (!isWordChar(tag.charAt(0))) return false;
  for (const char of tag) {
    if (!(isWordChar(char) || char === '.' || char === '-')) return false;
  }
  return true;
}

function validateDigest(digest: string): string | undefined {
  const colon = digest.indexOf(':');
  if (colon <= 0)
    return `invalid digest ${JSON.stringify(digest)}: expected <algorithm>:<hex>, e.g. sha256:<64 hex characters>`;
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expectedLength = DIGEST_HEX_LENGTHS.get(algorithm);
  if (expectedLength === undefined) {
    return `unsupported digest algorithm ${JSON.stringify(algorithm)}: use sha256, sha384 or sha512`;
  }
  if (hex.length !== expectedLength) {
    return `invalid digest: ${algorithm} needs ${expectedLength} hex characters, got ${hex.length}`;
  }
  for (const char of hex) {
    if (!isLowerHexDigit(char)) return `invalid digest: ${algorithm} hex must be lowercase 0-9a-f`;
  }
  return undefined;
}

function isAllDigits(text: string): boolean {
  for (const char of text) if (char < '0' || char > '9') return false;
  return true;
}

function isLowerAlphanumeric(char: string): boolean {
  return (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9');
}

function isAsciiAlphanumeric(char: string): boolean {
  return isLowerAlphanumeric(char) || (char >= 'A' && char <= 'Z');
}

function isWordChar(char: string): boolean {
  return isAsciiAlphanumeric(char) || char === '_';
}

function isHexDigit(char: string): boolean {
  return isLowerHexDigit(char) || (char >= 'A' && char <= 'F');
}

function isLowerHexDigit(char: string): boolean {
  return (char >= '0' && char <= '9') || (char >= 'a' && char <= 'f');
}

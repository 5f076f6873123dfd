import { describe, expect, it } from 'vitest';
import {
  effectiveTag,
  matchesRegistryPattern,
  parseImageReference,
  type ImageReference,
} from '../../../src/k8s/images.js';

const SHA256 = 'sha256:' + 'a1'.repeat(32);
const SHA512 = 'sha512:' + '0f'.repeat(64);

function parsed(image: string): ImageReference {
  const result = parseImageReference(image);
  if ('error' in result) throw new Error(`expected ${image} to parse, got: ${result.error}`);
  return result;
}

describe('parseImageReference', () => {
  it.each<[string, ImageReference]>([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', implicitRegistry: true }],
    [
      'nginx:1.25',
      { registry: 'docker.io', repository: 'library/nginx', tag: '1.25', implicitRegistry: true },
    ],
    [
      'nginx:latest',
      { registry: 'docker.io', repository: 'library/nginx', tag: 'latest', implicitRegistry: true },
    ],
    [
      `nginx@${SHA256}`,
      {
        registry: 'docker.io',
        repository: 'library/nginx',
        digest: SHA256,
        implicitRegistry: true,
      },
    ],
    [
      `nginx:1.25@${SHA256}`,
      {
        registry: 'docker.io',
        repository: 'library/nginx',
        tag: '1.25',
        digest: SHA256,
        implicitRegistry: true,
      },
    ],
    [
      `nginx@${SHA512}`,
      {
        registry: 'docker.io',
        repository: 'library/nginx',
        digest: SHA512,
        implicitRegistry: true,
      },
    ],
    [
      'registry.example.com:5000/team/app:v1',
      {
        registry: 'registry.example.com:5000',
        repository: 'team/app',
        tag: 'v1',
        implicitRegistry: false,
      },
    ],
    [
      'registry.example.com:5000/team/app',
      { registry: 'registry.example.com:5000', repository: 'team/app', implicitRegistry: false },
    ],
    ['localhost/app', { registry: 'localhost', repository: 'app', implicitRegistry: false }],
    [
      'localhost:5000/app:dev',
      { registry: 'localhost:5000', repository: 'app', tag: 'dev', implicitRegistry: false },
    ],
    // Without a slash the colon can only start a tag.
    [
      'localhost:5000',
      {
        registry: 'docker.io',
        repository: 'library/localhost',
        tag: '5000',
        implicitRegistry: true,
      },
    ],
    ['ghcr.io/org/app', { registry: 'ghcr.io', repository: 'org/app', implicitRegistry: false }],
    [
      'bitnami/redis:7.2',
      { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2', implicitRegistry: true },
    ],
    [
      'docker.io/nginx',
      { registry: 'docker.io', repository: 'library/nginx', implicitRegistry: false },
    ],
    [
      'index.docker.io/library/nginx',
      { registry: 'docker.io', repository: 'library/nginx', implicitRegistry: false },
    ],
    ['[::1]:5000/app', { registry: '[::1]:5000', repository: 'app', implicitRegistry: false }],
    // An uppercase first segment can only be a registry (repositories are lowercase).
    ['Registry/app', { registry: 'Registry', repository: 'app', implicitRegistry: false }],
    [
      'my-registry.io/a__b/c-d.e_f/g---h:V1_2.3-rc',
      {
        registry: 'my-registry.io',
        repository: 'a__b/c-d.e_f/g---h',
        tag: 'V1_2.3-rc',
        implicitRegistry: false,
      },
    ],
  ])('parses %s', (image, expected) => {
    expect(parseImageReference(image)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['', 'empty'],
    [' nginx', 'whitespace'],
    ['nginx ', 'whitespace'],
    ['ngi nx', 'whitespace'],
    ['nginx:1.25\n', 'whitespace'],
    ['${IMAGE}', 'placeholder'],
    ['registry.example.com/${NAME}:1.0', 'placeholder'],
    ['$(IMAGE)', 'placeholder'],
    ['{{ .Values.image }}', 'whitespace'],
    ['{{.Values.image}}', 'placeholder'],
    ['Nginx', 'lowercase'],
    ['ghcr.io/Org/app', 'lowercase'],
    ['nginx@sha256:abc123', 'needs 64 hex characters'],
    [`nginx@${SHA256.slice(0, -1)}`, 'needs 64 hex characters'],
    [`nginx@sha256:${'A1'.repeat(32)}`, 'lowercase'],
    [`nginx@sha256:${'g1'.repeat(32)}`, 'lowercase'],
    [`nginx@md5:${'a1'.repeat(16)}`, 'unsupported digest algorithm'],
    ['nginx@', 'invalid digest'],
    [`nginx@${SHA256}@${SHA256}`, 'needs 64 hex characters'],
    [`@${SHA256}`, 'repository name is empty'],
    ['nginx:', 'invalid tag'],
    ['nginx:-rc', 'invalid tag'],
    ['nginx:.rc', 'invalid tag'],
    ['nginx::1', 'invalid tag'],
    [`nginx:${'a'.repeat(129)}`, 'invalid tag'],
    ['team//app', 'invalid repository path component'],
    ['team/app/', 'invalid repository path component'],
    ['/app', 'invalid repository path component'],
    ['team/-app', 'invalid repository path component'],
    ['team/app.', 'invalid repository path component'],
    ['team/a..b', 'invalid repository path component'],
    ['team/a___b', 'invalid repository path component'],
    ['team/a+b', 'invalid repository path component'],
    ['registry.example.com:port/app', 'invalid registry'],
    ['-bad.example.com/app', 'invalid registry'],
    ['bad..example.com/app', 'invalid registry'],
    ['registry.example.com:/app', 'invalid registry'],
    ['localhost/', 'repository name is empty'],
    ['a1'.repeat(32), '64-character hexadecimal'],
    [`ghcr.io/${'a'.repeat(250)}`, 'longer than 255'],
  ])('rejects %j (%s)', (image, expectedFragment) => {
    const result = parseImageReference(image);
    expect(result).toHaveProperty('error');
    expect('error' in result ? result.error : '').toContain(expectedFragment);
  });

  it('never throws on arbitrary strings', () => {
    for (const image of ['@', ':', '/', '[', '[::1', '[zz]:1/a', 'a:b:c/d', '\u0000', '😀/app']) {
      expect(() => parseImageReference(image)).not.toThrow();
    }
  });
});

describe('effectiveTag', () => {
  it.each([
    ['nginx', 'latest'],
    ['nginx:1.25', '1.25'],
    ['nginx:latest', 'latest'],
    [`nginx@${SHA256}`, ''],
    [`nginx:1.25@${SHA256}`, '1.25'],
    ['localhost:5000/app', 'latest'],
  ])('effectiveTag(%s) is %j', (image, expected) => {
    expect(effectiveTag(parsed(image))).toBe(expected);
  });
});

describe('matchesRegistryPattern', () => {
  it.each([
    ['ghcr.io/org/app', 'ghcr.io', true],
    ['ghcr.io/org/app', 'GHCR.io', true],
    ['ghcr.io/org/app', 'ghcr.io/org', true],
    ['ghcr.io/org/app', 'ghcr.io/org/', true],
    ['ghcr.io/org/app', 'ghcr.io/org/app', true],
    ['ghcr.io/org/app', 'ghcr.io/or', false],
    ['ghcr.io/org/app', 'ghcr.io/org/app/extra', false],
    ['ghcr.io/org/app', 'ghcr.io/Org', false],
    ['ghcr.io/org/app', '*.io', true],
    ['ghcr.io/org/app', 'docker.io', false],
    ['us.gcr.io/project/image', '*.gcr.io', true],
    ['eu.gcr.io/project/image', '*.gcr.io/project', true],
    ['eu.gcr.io/project/image', '*.gcr.io/other', false],
    ['gcr.io/project/image', '*.gcr.io', false],
    ['registry-1.example.com/app', 'registry-?.example.com', true],
    ['nginx', 'docker.io', true],
    ['nginx', 'docker.io/library', true],
    ['nginx', 'index.docker.io', true],
    ['nginx', 'docker.io/nginx', false],
    ['bitnami/redis', 'docker.io/bitnami', true],
    ['registry.example.com:5000/team/app', 'registry.example.com', false],
    ['registry.example.com:5000/team/app', 'registry.example.com:5000/team', true],
    ['registry.example.com:5000/team/app', 'registry.example.com:*', true],
    ['ghcr.io/org/app', '', false],
    ['ghcr.io/org/app', '  ', false],
  ])('%s against %j is %s', (image, pattern, expected) => {
    expect(matchesRegistryPattern(parsed(image), pattern)).toBe(expected);
  });
});

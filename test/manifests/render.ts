import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import yaml from 'js-yaml';

export const REPO = join(import.meta.dirname, '..', '..');

/** Whether `kubectl` (with its built-in kustomize) is on PATH; the render tests need it. */
export const HAS_KUBECTL = ((): boolean => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string } & Record<string, unknown>;
};

/** `kubectl kustomize DIR`, parsed into objects. */
export function renderKustomization(directory: string): KubeObject[] {
  const text = execFileSync('kubectl', ['kustomize', directory], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return yaml.loadAll(text).filter((document) => document != null) as KubeObject[];
}

export function findObject(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among the rendered objects`);
  return found;
}

/** Reads a nested field without type ceremony; tests assert on the result. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * Minimal structural types for the Kubernetes objects cronguard reads.
 * Objects arrive from YAML, JSON or AdmissionReviews written by anyone, so every
 * field is optional and every reader must check types at run time (see `k8s/read.ts`).
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** The workload kinds the engine evaluates. */
export type WorkloadKind = 'CronJob' | 'Job' | 'Pod';
export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['CronJob', 'Job', 'Pod'];

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Text for messages from a field that should be a string. The types above say
 * what a well-formed object holds; a YAML file can hold anything (`kind: 5`).
 */
export function asText(value: unknown, fallback = ''): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return fallback;
  return JSON.stringify(value);
}

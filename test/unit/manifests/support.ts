import { expect } from 'vitest';
import { parseManifestText, type ManifestDocument } from '../../../src/manifests/index.js';
import type { ReportLocation } from '../../../src/report/types.js';

/** Parses text that must hold exactly one object and no errors. */
export function parseOne(text: string, file = 'test.yaml'): ManifestDocument {
  const parsed = parseManifestText(text, file);
  expect(parsed.errors).toEqual([]);
  expect(parsed.documents).toHaveLength(1);
  return parsed.documents[0]!;
}

/** The source text from `location` to the end of its line (a leading byte order mark is not a column). */
export function textAt(text: string, location: ReportLocation): string {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  return (lines[location.line - 1] ?? '').slice(location.column - 1);
}

/** `line:column`, compact for expectations. */
export function lineColumn(location: ReportLocation): string {
  return `${location.line}:${location.column}`;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { escapeXmlAttribute, escapeXmlText, formatJunit } from '../../../src/report/junit.js';
import type { LintReport } from '../../../src/report/types.js';
import { buildReport } from './fixture.js';

function attributesOf(xml: string, element: string): Record<string, string>[] {
  return [...xml.matchAll(new RegExp(`<${element}((?:\\s+[a-z-]+="[^"]*")*)\\s*/?>`, 'g'))].map(
    ([, attributeText]) =>
      Object.fromEntries(
        [...(attributeText ?? '').matchAll(/([a-z-]+)="([^"]*)"/g)].map(([, key, value]) => [
          key!,
          value!,
        ]),
      ),
  );
}

function textOf(xml: string, element: string): string[] {
  return [...xml.matchAll(new RegExp(`<${element}[^>]*>([^<]*)</${element}>`, 'g'))].map(
    ([, text]) => text!,
  );
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#\d+);/g, (_entity, name: string) => {
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name]!;
  });
}

/** Characters XML 1.0 allows (the `Char` production). */
const XML_CHARACTERS = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;
const ENTITY = '&(?:amp|lt|gt|quot|apos|#\\d+);';
const ATTRIBUTE = `\\s+[a-z-]+="(?:[^"<&]|${ENTITY})*"`;
const TAG = new RegExp(`^(?:<\\?xml[^?]*\\?>|</[a-z-]+>|<[a-z-]+(?:${ATTRIBUTE})*\\s*/?>)$`);
const TEXT = new RegExp(`^(?:[^<>&]|${ENTITY})*$`, 's');

/**
 * Without an XML parser among the dependencies, check what makes a document
 * well formed for this output: only legal characters, every tag well built,
 * every `&` an entity, no stray `<` or `>` in text, and tags balanced.
 */
function expectWellFormed(xml: string): void {
  expect(xml).toMatch(XML_CHARACTERS);
  const open: string[] = [];
  for (const piece of xml.split(/(<[^>]*>)/)) {
    if (piece.startsWith('<')) {
      expect(piece).toMatch(TAG);
      const name = /^<\/?([a-z-]+)/.exec(piece)?.[1];
      if (name === undefined || piece.endsWith('/>')) continue;
      if (piece.startsWith('</')) expect(open.pop()).toBe(name);
      else open.push(name);
    } else {
      expect(piece).toMatch(TEXT);
    }
  }
  expect(open).toEqual([]);
}

describe('formatJunit', () => {
  it('has one suite per file and one test case per evaluated object or input error', () => {
    const xml = formatJunit(buildReport(), { failOn: 'error' });
    expectWellFormed(xml);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(attributesOf(xml, 'testsuites')).toEqual([
      { name: 'cronguard', tests: '3', failures: '1', errors: '1' },
    ]);
    expect(attributesOf(xml, 'testsuite')).toEqual([
      { name: 'manifests/backup.yaml', tests: '1', failures: '1', errors: '0' },
      { name: 'manifests/jobs.yaml', tests: '2', failures: '0', errors: '1' },
    ]);
    expect(attributesOf(xml, 'testcase')).toEqual([
      { classname: 'manifests/backup.yaml', name: 'CronJob/ops/nightly-backup' },
      { classname: 'manifests/jobs.yaml', name: 'input error at line 14, column 5' },
      { classname: 'manifests/jobs.yaml', name: 'Job/batch/report-once' },
    ]);
    expect(attributesOf(xml, 'error')).toEqual([
      { type: 'input-error', message: 'bad indentation of a mapping entry' },
    ]);
  });

  it('fails an object once for the findings at or above --fail-on, with the details in the body', () => {
    const xml = formatJunit(buildReport(), { failOn: 'error' });
    expect(attributesOf(xml, 'failure')).toEqual([
      {
        type: 'images-disallow-latest',
        message: 'Image &quot;busybox:latest&quot; uses the mutable latest tag',
      },
    ]);
    expect(textOf(xml, 'failure')).toEqual([
      [
        'error: Image "busybox:latest" uses the mutable latest tag [images-disallow-latest]',
        '  field: spec.jobTemplate.spec.template.spec.containers[0].image',
        '  policy: baseline (enforce)',
        '  container: backup',
        '  fix: Pin the image to a version tag or digest',
        '  location: manifests/backup.yaml:21:18',
      ].join('\n'),
    ]);
  });

  it('keeps findings below the threshold, mutations and exemptions in system-out', () => {
    const [systemOut] = textOf(formatJunit(buildReport(), { failOn: 'error' }), 'system-out');
    const lines = systemOut!.split('\n');
    expect(lines[0]).toBe('Findings below fail-on error:');
    expect(lines).toContain(
      'warning: startingDeadlineSeconds is 5, below the minimum of 10 [job-starting-deadline]',
    );
    expect(lines).toContain(
      'notice: Container "backup" has a livenessProbe, which restarts jobs that are busy [probes-liveness-readiness]',
    );
    expect(lines).toContain('Mutations admission would apply:');
    expect(lines).toContain(
      '  spec.successfulJobsHistoryLimit = 3 (was 10): Keep at most 3 successful jobs [job-history-limits] (baseline) at manifests/backup.yaml:9:3',
    );
    expect(lines).toContain(
      '  [resources-required] (baseline) by annotation, container istio-proxy: sidecar is injected by the mesh',
    );
  });

  it('lowers the threshold with --fail-on notice and never fails findings with never', () => {
    const strict = formatJunit(buildReport(), { failOn: 'notice' });
    const failures = attributesOf(strict, 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.type).toBe(
      'job-starting-deadline, images-disallow-latest, probes-liveness-readiness',
    );
    expect(unescapeXml(failures[0]!.message!)).toBe(
      '3 findings: startingDeadlineSeconds is 5, below the minimum of 10; Image "busybox:latest" uses the mutable latest tag; Container "backup" has a livenessProbe, which restarts jobs that are busy',
    );
    expect(textOf(strict, 'system-out')[0]).not.toContain('Findings below');

    const lenient = formatJunit(buildReport(), { failOn: 'never' });
    expect(lenient).not.toContain('<failure');
    expect(attributesOf(lenient, 'testsuites')[0]).toMatchObject({ failures: '0', errors: '1' });
    expect(textOf(lenient, 'system-out')[0]!.split('\n')[0]).toBe('Findings (fail-on: never):');
  });

  it('escapes hostile strings and replaces characters XML 1.0 cannot carry', () => {
    const hostile = 'a<b>&c"d\'e]]>f\u0000g\u001bh\uFFFEi\uD800j🚀k';
    const report: LintReport = buildReport();
    const cronJob = report.results[1]!;
    cronJob.object.name = hostile;
    cronJob.findings[1]!.message = `line one\n${hostile}`;
    cronJob.findings[1]!.fix = hostile;
    cronJob.findings[1]!.location.file = `dir/${hostile}.yaml`;
    cronJob.location.file = `dir/${hostile}.yaml`;
    report.errors[0]!.message = hostile;

    const xml = formatJunit(report, { failOn: 'error' });
    expectWellFormed(xml);
    expect(xml).not.toContain(']]>');
    expect(xml).toContain('🚀');

    const visible = 'a<b>&c"d\'e]]>f\\u0000g\\u001bh\\ufffei\\ud800j🚀k';
    const failure = attributesOf(xml, 'failure')[0]!;
    expect(unescapeXml(failure.message!)).toBe(`line one\n${visible}`);
    expect(failure.message).toContain('&#10;');
    const objectCase = attributesOf(xml, 'testcase').find((testCase) =>
      testCase.name?.startsWith('CronJob/'),
    )!;
    expect(unescapeXml(objectCase.name!)).toBe(`CronJob/ops/${visible}`);
    expect(unescapeXml(objectCase.classname!)).toBe(`dir/${visible}.yaml`);
    expect(unescapeXml(textOf(xml, 'failure')[0]!)).toContain(`  fix: ${visible}`);
    expect(unescapeXml(attributesOf(xml, 'error')[0]!.message!)).toBe(visible);
  });
});

describe('XML escaping', () => {
  const anyCharacter = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
    fc.constantFrom('<', '>', '&', '"', "'", ']]>', '\n', '\r', '\t', '🚀', '\u0000'),
  );
  const anyText = fc.string({ unit: anyCharacter });

  it('always yields legal characters and no markup', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const attribute = escapeXmlAttribute(text);
        expect(attribute).toMatch(XML_CHARACTERS);
        expect(attribute).toMatch(new RegExp(`^(?:[^<>&"\\t\\n\\r]|${ENTITY})*$`, 's'));
        expect(escapeXmlText(text)).toMatch(TEXT);
      }),
    );
  });

  it('round-trips text that XML can carry', () => {
    const legalText = anyText.filter((text) => XML_CHARACTERS.test(text));
    fc.assert(
      fc.property(legalText, (text) => {
        expect(unescapeXml(escapeXmlAttribute(text))).toBe(text);
        expect(unescapeXml(escapeXmlText(text))).toBe(text);
      }),
    );
  });
});

import { failsBuild, type FailOn } from './fail-on.js';
import { groupByFile, sortFindings, sortMutations, type FileGroup } from './ordering.js';
import type { InputError, ObjectResult, ReportedFinding, LintReport } from './types.js';
import {
  countOf,
  describeExemption,
  describeLocation,
  describeMutation,
  describeObject,
} from './wording.js';

export interface JunitOptions {
  failOn: FailOn;
}

/**
 * Characters XML 1.0 cannot carry at all, not even as character references:
 * C0 controls other than tab, newline and carriage return, U+FFFE, U+FFFF and
 * unpaired surrogates. One of them makes Jenkins or GitLab reject the whole file,
 * so each is replaced by a visible `\uXXXX` that still tells the reader what was
 * in the manifest.
 */
const NOT_XML_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function replaceNonXmlCharacters(text: string): string {
  return text.replace(
    NOT_XML_CHARACTER,
    (character) => `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
}

/** Text between tags. `>` is escaped too, so `]]>` can never appear. */
export function escapeXmlText(text: string): string {
  return replaceNonXmlCharacters(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * Attribute values in double quotes. Tabs and line breaks become character
 * references because XML parsers turn literal ones into spaces (attribute value
 * normalisation), which would flatten multi-line messages.
 */
export function escapeXmlAttribute(text: string): string {
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function element(
  name: string,
  attributes: Readonly<Record<string, string | number>>,
  body?: string,
): string {
  const attributeText = Object.entries(attributes)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
  return body === undefined
    ? `<${name}${attributeText}/>`
    : `<${name}${attributeText}>${body}</${name}>`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
}

interface RenderedSuite extends Counts {
  xml: string;
}

/**
 * JUnit XML as Jenkins, GitLab and Azure DevOps read it: one `<testsuite>` per
 * file, one `<testcase>` per evaluated object (name `Kind/namespace/name`,
 * classname the file), and one `<testcase>` with an `<error>` per input error.
 *
 * An object with findings at or above `failOn` gets one `<failure>` listing all of
 * them. One, not one per finding: Jenkins' junit plugin and most other readers
 * take only the first `<failure>` of a test case, so the rest would vanish from
 * the CI page. `type` is the rule id (ids, comma-separated, when several rules
 * failed). Findings below the threshold, mutations and exemptions go to
 * `<system-out>`, so the report shows them without failing the test.
 */
export function formatJunit(report: LintReport, options: JunitOptions): string {
  const suites = groupByFile(report).map((group) => renderSuite(group, options.failOn));
  const totals = suites.reduce<Counts>(
    (sum, suite) => ({
      tests: sum.tests + suite.tests,
      failures: sum.failures + suite.failures,
      errors: sum.errors + suite.errors,
    }),
    { tests: 0, failures: 0, errors: 0 },
  );
  const root = element(
    'testsuites',
    { name: 'cronguard', ...totals },
    ['', ...suites.map((suite) => suite.xml), ''].join('\n'),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${root}\n`;
}

function renderSuite(group: FileGroup, failOn: FailOn): RenderedSuite {
  const cases = [
    ...group.errors.map((error) => renderInputError(group.file, error)),
    ...group.objects.map((result) => renderObject(group.file, result, failOn)),
  ];
  const counts: Counts = {
    tests: cases.length,
    failures: cases.filter((testCase) => testCase.outcome === 'failure').length,
    errors: cases.filter((testCase) => testCase.outcome === 'error').length,
  };
  const body = ['', ...cases.map((testCase) => `    ${testCase.xml}`), '  '].join('\n');
  return { ...counts, xml: `  ${element('testsuite', { name: group.file, ...counts }, body)}` };
}

interface RenderedCase {
  outcome: 'pass' | 'failure' | 'error';
  xml: string;
}

function renderInputError(file: string, error: InputError): RenderedCase {
  const { line, column } = error.location;
  const body = escapeXmlText(`${describeLocation(error.location)}: ${error.message}`);
  const errorElement = element('error', { type: 'input-error', message: error.message }, body);
  return {
    outcome: 'error',
    xml: element(
      'testcase',
      { classname: file, name: `input error at line ${line}, column ${column}` },
      errorElement,
    ),
  };
}

function renderObject(file: string, result: ObjectResult, failOn: FailOn): RenderedCase {
  const findings = sortFindings(result.findings);
  const failing = findings.filter((finding) => failsBuild(finding.severity, failOn));
  const passing = findings.filter((finding) => !failsBuild(finding.severity, failOn));
  const children: string[] = [];
  if (failing.length > 0) children.push(failureElement(failing));
  const output = systemOutText(result, passing, failOn);
  if (output !== '') children.push(element('system-out', {}, escapeXmlText(output)));

  const attributes = { classname: file, name: describeObject(result.object) };
  return {
    outcome: failing.length > 0 ? 'failure' : 'pass',
    xml:
      children.length === 0
        ? element('testcase', attributes)
        : element('testcase', attributes, children.join('')),
  };
}

function failureElement(failing: readonly ReportedFinding[]): string {
  const ruleIds = [...new Set(failing.map((finding) => finding.ruleId))];
  const [first] = failing;
  const message =
    failing.length === 1 && first !== undefined
      ? first.message
      : `${countOf(failing.length, 'finding')}: ${failing.map((finding) => finding.message).join('; ')}`;
  const body = failing.map(describeFindingInDetail).join('\n\n');
  return element('failure', { type: ruleIds.join(', '), message }, escapeXmlText(body));
}

function describeFindingInDetail(finding: ReportedFinding): string {
  const lines = [
    `${finding.severity}: ${finding.message} [${finding.ruleId}]`,
    `  field: ${finding.field}`,
    `  policy: ${finding.policy} (${finding.action})`,
  ];
  if (finding.container !== undefined) lines.push(`  container: ${finding.container}`);
  if (finding.fix !== undefined && finding.fix.trim() !== '') lines.push(`  fix: ${finding.fix}`);
  lines.push(`  location: ${describeLocation(finding.location)}`);
  return lines.join('\n');
}

function systemOutText(
  result: ObjectResult,
  belowThreshold: readonly ReportedFinding[],
  failOn: FailOn,
): string {
  const sections: string[] = [];
  if (belowThreshold.length > 0) {
    const heading =
      failOn === 'never' ? 'Findings (fail-on: never):' : `Findings below fail-on ${failOn}:`;
    sections.push([heading, ...belowThreshold.map(describeFindingInDetail)].join('\n'));
  }
  if (result.mutations.length > 0) {
    const lines = sortMutations(result.mutations).map(
      (mutation) =>
        `  ${describeMutation(mutation)} [${mutation.ruleId}] (${mutation.policy}) at ${describeLocation(mutation.location)}`,
    );
    sections.push(['Mutations admission would apply:', ...lines].join('\n'));
  }
  if (result.exemptions.length > 0) {
    const lines = result.exemptions.map((exemption) => `  ${describeExemption(exemption)}`);
    sections.push(['Exemptions:', ...lines].join('\n'));
  }
  return sections.join('\n\n');
}

import { createHash } from 'node:crypto';

import type { Action, Severity } from '../engine/types.js';
import { allFindings, compareText, sortInputErrors, type LocatedFinding } from './ordering.js';
import type { InputError, LintReport, ObjectRef, ReportLocation } from './types.js';
import { isStdin, messageWithFix, toForwardSlashes } from './wording.js';

/** What SARIF (and GitHub code scanning) shows about a rule; the rule registry supplies it. */
export interface RuleDescriptor {
  /** Stable rule id, e.g. `job-starting-deadline`. */
  id: string;
  /** Short human title, shown as the alert heading. */
  title: string;
  /** The policy section the rule belongs to (`schedule`, `job`, `images`, …); becomes a SARIF tag. */
  section: string;
  /** What the rule checks and why, a few sentences. */
  description: string;
  helpUri: string;
  defaultSeverity: SarifLevel;
}

export type SarifLevel = 'error' | 'warning' | 'note';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
export const CRONGUARD_INFORMATION_URI = 'https://github.com/cronguard/cronguard';
/**
 * Versioned, as SARIF recommends for fingerprint keys: if the inputs to the hash
 * ever change, the key changes too, and GitHub does not match new results
 * against alerts fingerprinted the old way.
 */
export const FINGERPRINT_KEY = 'cronguardFinding/v1';
/** What relative artifact URIs are relative to: the checkout, where `cronguard lint` runs in CI. */
export const SOURCE_ROOT_BASE_ID = '%SRCROOT%';
/** The artifact URI of standard input; see {@link toArtifactLocation}. */
export const STDIN_ARTIFACT_URI = 'stdin';

export interface SarifMessage {
  text: string;
  markdown?: string;
}

export interface SarifArtifactLocation {
  uri: string;
  uriBaseId?: string;
  description?: SarifMessage;
}

export interface SarifPhysicalLocation {
  artifactLocation: SarifArtifactLocation;
  region: { startLine: number; startColumn: number };
}

export interface SarifLocation {
  physicalLocation: SarifPhysicalLocation;
}

export interface SarifReportingDescriptor {
  id: string;
  name: string;
  shortDescription: SarifMessage;
  fullDescription?: SarifMessage;
  helpUri?: string;
  help?: SarifMessage;
  defaultConfiguration?: { level: SarifLevel };
  properties?: { tags: string[] };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations: [SarifLocation];
  partialFingerprints: Record<string, string>;
  properties: {
    policy: string;
    action: Action;
    field: string;
    pointer: string;
    object: ObjectRef;
    container?: string;
  };
}

export interface SarifNotification {
  level: 'error';
  message: SarifMessage;
  locations: SarifLocation[];
}

export interface SarifRun {
  tool: {
    driver: {
      name: 'cronguard';
      version: string;
      semanticVersion: string;
      informationUri: string;
      rules: SarifReportingDescriptor[];
    };
  };
  invocations: [{ executionSuccessful: boolean; toolExecutionNotifications: SarifNotification[] }];
  /** Columns come from the YAML parser, which counts JavaScript string positions. */
  columnKind: 'utf16CodeUnits';
  results: SarifResult[];
}

export interface SarifLog {
  $schema: typeof SARIF_SCHEMA_URI;
  version: '2.1.0';
  runs: [SarifRun];
}

const LEVEL_OF_SEVERITY: Readonly<Record<Severity, SarifLevel>> = {
  error: 'error',
  warning: 'warning',
  notice: 'note',
};

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: one run, results
 * for findings (mutations are not problems and are left out), input errors as
 * tool execution notifications with `executionSuccessful: false`.
 *
 * `rules` lists what the registry knows; the driver carries descriptors only for
 * rules that produced results (GitHub needs no more, and the file stays small).
 * A finding whose rule is not in `rules` gets a minimal descriptor rather than
 * being dropped.
 */
export function formatSarif(report: LintReport, rules: readonly RuleDescriptor[]): string {
  return `${JSON.stringify(buildSarifLog(report, rules), null, 2)}\n`;
}

export function buildSarifLog(report: LintReport, rules: readonly RuleDescriptor[]): SarifLog {
  const findings = allFindings(report);
  const descriptors = reportedRuleDescriptors(findings, rules);
  const ruleIndex = new Map(descriptors.map((descriptor, index) => [descriptor.id, index]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'cronguard',
            version: report.tool.version,
            semanticVersion: report.tool.version,
            informationUri: CRONGUARD_INFORMATION_URI,
            rules: descriptors,
          },
        },
        invocations: [
          {
            executionSuccessful: report.errors.length === 0,
            toolExecutionNotifications: sortInputErrors(report.errors).map(toNotification),
          },
        ],
        columnKind: 'utf16CodeUnits',
        results: findings.map((located) =>
          toResult(located, ruleIndex.get(located.finding.ruleId) ?? 0),
        ),
      },
    ],
  };
}

function reportedRuleDescriptors(
  findings: readonly LocatedFinding[],
  rules: readonly RuleDescriptor[],
): SarifReportingDescriptor[] {
  const known = new Map(rules.map((rule) => [rule.id, rule]));
  const reportedIds = [...new Set(findings.map(({ finding }) => finding.ruleId))].sort(compareText);
  return reportedIds.map((id) => {
    const rule = known.get(id);
    return rule === undefined ? unknownRuleDescriptor(id) : toReportingDescriptor(rule);
  });
}

function toReportingDescriptor(rule: RuleDescriptor): SarifReportingDescriptor {
  return {
    id: rule.id,
    name: identifierName(rule.id),
    shortDescription: { text: rule.title },
    fullDescription: { text: rule.description },
    helpUri: rule.helpUri,
    help: {
      text: `${rule.description}\n\nDocumentation: ${rule.helpUri}`,
      markdown: `${rule.description}\n\n[Documentation](${rule.helpUri})`,
    },
    defaultConfiguration: { level: rule.defaultSeverity },
    properties: { tags: [rule.section] },
  };
}

/** Rules from user policies or a newer engine may not be in the registry the CLI passed in. */
function unknownRuleDescriptor(id: string): SarifReportingDescriptor {
  return { id, name: identifierName(id), shortDescription: { text: id } };
}

/** SARIF's `name` is an identifier-like form of the rule: `job-starting-deadline` → `JobStartingDeadline`. */
function identifierName(ruleId: string): string {
  return ruleId
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function toResult({ finding, result }: LocatedFinding, ruleIndex: number): SarifResult {
  const sarifResult: SarifResult = {
    ruleId: finding.ruleId,
    ruleIndex,
    level: LEVEL_OF_SEVERITY[finding.severity],
    message: { text: messageWithFix(finding) },
    locations: [toLocation(finding.location)],
    partialFingerprints: { [FINGERPRINT_KEY]: findingFingerprint(finding, result.object) },
    properties: {
      policy: finding.policy,
      action: finding.action,
      field: finding.field,
      pointer: finding.pointer,
      object: { ...result.object },
    },
  };
  if (finding.container !== undefined) sarifResult.properties.container = finding.container;
  return sarifResult;
}

/**
 * Identifies a finding across runs independently of its line, so editing other
 * parts of a manifest neither closes nor duplicates the alert. The policy is part
 * of it because two policies can apply the same rule to the same field with
 * different actions, and GitHub would otherwise merge them into one alert.
 */
export function findingFingerprint(
  finding: { ruleId: string; policy: string; field: string; location: ReportLocation },
  object: ObjectRef,
): string {
  const identity = [
    finding.ruleId,
    finding.policy,
    toForwardSlashes(finding.location.file),
    object.kind,
    object.namespace,
    object.name,
    finding.field,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

function toNotification(error: InputError): SarifNotification {
  return {
    level: 'error',
    message: { text: error.message },
    locations: [toLocation(error.location)],
  };
}

function toLocation(location: ReportLocation): SarifLocation {
  // SARIF positions are 1-based and GitHub rejects the whole upload otherwise; a
  // 0 from a loader bug should cost one position, not the report.
  return {
    physicalLocation: {
      artifactLocation: toArtifactLocation(location.file),
      region: { startLine: Math.max(1, location.line), startColumn: Math.max(1, location.column) },
    },
  };
}

/**
 * - Relative paths stay relative to `%SRCROOT%`; GitHub resolves them against the
 *   repository root, which is where CI runs `cronguard lint`.
 * - Absolute paths become `file://` URIs; upload-sarif turns those into
 *   repository paths using the checkout path.
 * - Standard input has no file. GitHub rejects results without an artifact
 *   location ("locationFromSarifResult: expected artifact location"), so it gets
 *   the relative URI `stdin` with a description: the upload is accepted and the
 *   alert is still fingerprinted; it cannot link to a file, which nothing could.
 *
 * Segments are percent-encoded because consumers decode the URI (upload-sarif
 * calls decodeURIComponent), so a `%` or space in a file name must survive that.
 */
export function toArtifactLocation(file: string): SarifArtifactLocation {
  if (isStdin(file)) {
    return { uri: STDIN_ARTIFACT_URI, description: { text: 'standard input' } };
  }
  const path = toForwardSlashes(file);
  if (path.startsWith('//')) return { uri: `file:${encodePath(path)}` };
  if (path.startsWith('/')) return { uri: `file://${encodePath(path)}` };
  if (/^[A-Za-z]:\//.test(path)) return { uri: `file:///${encodePath(path)}` };
  return { uri: encodePath(path.replace(/^(\.\/)+/, '')), uriBaseId: SOURCE_ROOT_BASE_ID };
}

function encodePath(path: string): string {
  return path
    .split('/')
    .map((segment) => (/^[A-Za-z]:$/.test(segment) ? segment : encodeURIComponent(segment)))
    .join('/');
}

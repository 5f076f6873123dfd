import type {
  InputError,
  LintReport,
  ObjectResult,
  ReportLocation,
  ReportedFinding,
  ReportedMutation,
} from './types.js';

/**
 * Every format sorts the same way (file, line, column, rule id) so that two runs
 * over the same manifests produce byte-identical reports, whatever order the
 * loader read files in. That keeps golden tests and CI diffs meaningful.
 */

/** Code-unit order: unlike localeCompare it does not depend on the machine's locale. */
export function compareText(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

export function compareLocations(left: ReportLocation, right: ReportLocation): number {
  return compareText(left.file, right.file) || left.line - right.line || left.column - right.column;
}

export function compareFindings(left: ReportedFinding, right: ReportedFinding): number {
  return (
    compareLocations(left.location, right.location) ||
    compareText(left.ruleId, right.ruleId) ||
    compareText(left.policy, right.policy) ||
    compareText(left.message, right.message)
  );
}

export function sortFindings(findings: readonly ReportedFinding[]): ReportedFinding[] {
  return [...findings].sort(compareFindings);
}

export function sortMutations(mutations: readonly ReportedMutation[]): ReportedMutation[] {
  return [...mutations].sort(
    (left, right) =>
      compareLocations(left.location, right.location) ||
      compareText(left.ruleId, right.ruleId) ||
      compareText(left.pointer, right.pointer),
  );
}

export function sortObjects(results: readonly ObjectResult[]): ObjectResult[] {
  return [...results].sort(
    (left, right) =>
      compareLocations(left.location, right.location) || left.documentIndex - right.documentIndex,
  );
}

export function sortInputErrors(errors: readonly InputError[]): InputError[] {
  return [...errors].sort(
    (left, right) =>
      compareLocations(left.location, right.location) || compareText(left.message, right.message),
  );
}

export interface FileGroup {
  file: string;
  /** Sorted by where each object starts. */
  objects: ObjectResult[];
  /** Sorted by location. */
  errors: InputError[];
}

/** Evaluated objects and input errors per file, files in path order. */
export function groupByFile(report: LintReport): FileGroup[] {
  const groups = new Map<string, FileGroup>();
  const groupOf = (file: string): FileGroup => {
    let group = groups.get(file);
    if (group === undefined) {
      group = { file, objects: [], errors: [] };
      groups.set(file, group);
    }
    return group;
  };
  for (const result of report.results) groupOf(result.location.file).objects.push(result);
  for (const error of report.errors) groupOf(error.location.file).errors.push(error);
  return [...groups.values()]
    .sort((left, right) => compareText(left.file, right.file))
    .map((group) => ({
      file: group.file,
      objects: sortObjects(group.objects),
      errors: sortInputErrors(group.errors),
    }));
}

export interface LocatedFinding {
  finding: ReportedFinding;
  result: ObjectResult;
}

/** Every finding with the object it belongs to, sorted across objects and files. */
export function allFindings(report: LintReport): LocatedFinding[] {
  const located: LocatedFinding[] = [];
  // Objects first, so that findings that compare equal keep their objects' order.
  for (const result of sortObjects(report.results)) {
    for (const finding of result.findings) located.push({ finding, result });
  }
  return located.sort((left, right) => compareFindings(left.finding, right.finding));
}

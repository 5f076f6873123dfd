import type { FailOn } from './fail-on.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import { formatSarif, type RuleDescriptor } from './sarif.js';
import { formatText } from './text.js';
import type { LintReport } from './types.js';

export type OutputFormat = 'text' | 'json' | 'sarif' | 'junit' | 'github';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif', 'junit', 'github'];

/** Everything any format needs; each format reads only its part. */
export interface FormatContext {
  color: boolean;
  verbose: boolean;
  failOn: FailOn;
  /** Rule metadata for SARIF's `tool.driver.rules`. */
  rules: readonly RuleDescriptor[];
}

/** Renders `report` in `format`; every format ends with a newline and does no I/O. */
export function formatReport(
  format: OutputFormat,
  report: LintReport,
  context: FormatContext,
): string {
  switch (format) {
    case 'text':
      return formatText(report, context);
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, context.rules);
    case 'junit':
      return formatJunit(report, context);
    case 'github':
      return formatGithub(report, context);
  }
}

import { describe, expect, it } from 'vitest';

import {
  formatGithub,
  formatJson,
  formatJunit,
  formatReport,
  formatSarif,
  formatText,
  OUTPUT_FORMATS,
  type FormatContext,
} from '../../../src/report/index.js';
import { buildReport, ruleDescriptors } from './fixture.js';

describe('formatReport', () => {
  const context: FormatContext = {
    color: false,
    verbose: true,
    failOn: 'warning',
    rules: ruleDescriptors,
  };

  it.each([
    ['text', formatText(buildReport(), context)],
    ['json', formatJson(buildReport())],
    ['sarif', formatSarif(buildReport(), ruleDescriptors)],
    ['junit', formatJunit(buildReport(), context)],
    ['github', formatGithub(buildReport(), context)],
  ] as const)('renders %s with the options from the context', (format, expected) => {
    expect(formatReport(format, buildReport(), context)).toBe(expected);
  });

  it('offers every format, each ending with a newline', () => {
    expect(OUTPUT_FORMATS).toEqual(['text', 'json', 'sarif', 'junit', 'github']);
    for (const format of OUTPUT_FORMATS) {
      expect(formatReport(format, buildReport(), context).endsWith('\n')).toBe(true);
    }
  });

  it('does not modify the report', () => {
    const report = buildReport();
    for (const format of OUTPUT_FORMATS) formatReport(format, report, context);
    expect(report).toEqual(buildReport());
  });
});

import { describe, expect, it } from 'vitest';

import { formatJson } from '../../../src/report/json.js';
import { buildReport } from './fixture.js';

describe('formatJson', () => {
  it('serialises the report unchanged, indented by two spaces, ending with a newline', () => {
    const report = buildReport();
    const output = formatJson(report);
    expect(JSON.parse(output)).toEqual(report);
    expect(output.split('\n').slice(0, 3)).toEqual(['{', '  "schemaVersion": 1,', '  "tool": {']);
    expect(output.endsWith('}\n')).toBe(true);
  });

  it('keeps mutation values of any JSON type', () => {
    const parsed = JSON.parse(formatJson(buildReport())) as ReturnType<typeof buildReport>;
    const values = parsed.results[1]!.mutations.map((mutation) => mutation.value);
    expect(values).toEqual([
      3,
      'Forbid',
      { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    ]);
  });
});

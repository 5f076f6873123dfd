export type * from './types.js';
export { exitCodeFor, failsBuild, countFailingFindings, FAIL_ON_VALUES } from './fail-on.js';
export type { ExitCode, FailOn } from './fail-on.js';
export { formatReport, OUTPUT_FORMATS } from './format-report.js';
export type { FormatContext, OutputFormat } from './format-report.js';
export { formatText } from './text.js';
export type { TextOptions } from './text.js';
export { formatJson } from './json.js';
export {
  buildSarifLog,
  findingFingerprint,
  formatSarif,
  toArtifactLocation,
  CRONGUARD_INFORMATION_URI,
  FINGERPRINT_KEY,
  SARIF_SCHEMA_URI,
  SOURCE_ROOT_BASE_ID,
  STDIN_ARTIFACT_URI,
} from './sarif.js';
export type { RuleDescriptor, SarifLevel, SarifLog, SarifResult } from './sarif.js';
export { formatJunit } from './junit.js';
export type { JunitOptions } from './junit.js';
export { formatGithub } from './github.js';
export type { GithubOptions } from './github.js';
export { summaryLine } from './summary.js';
export { STDIN_FILE } from './wording.js';

/**
 * The policy language: loading YAML policy files into validated, compiled,
 * frozen `Policy` objects. See `types.ts` for the compiled form and
 * `schema.ts` for the YAML form.
 */
export * from './types.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  VERSION_ANNOTATION,
  formatPolicyError,
  loadPolicies,
  type LoadPoliciesOptions,
  type LoadPoliciesResult,
  type PolicyError,
  type PolicySource,
} from './load.js';
export {
  MAX_POLICY_FILES,
  MAX_POLICY_FILE_BYTES,
  builtinPoliciesDir,
  readPolicyDirectories,
  type PolicyFiles,
} from './load-files.js';
export { POLICY_LIMITS, POLICY_SCHEMA, validatePolicyDocument } from './schema.js';

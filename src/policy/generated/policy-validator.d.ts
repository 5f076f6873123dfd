// Types of the generated policy-validator.js (ajv standalone code, written by
// scripts/generate-policy-validator.mjs). Hand-written; not regenerated.
import type { DataValidationCxt, ErrorObject } from 'ajv';

/** Validates one policy document against POLICY_SCHEMA; on failure `errors` lists why (verbose). */
export interface PolicyValidateFunction {
  (data: unknown, dataCxt?: DataValidationCxt): boolean;
  errors?: ErrorObject[] | null;
}

export declare const validate: PolicyValidateFunction;
export default validate;

/**
 * The admission layer: AdmissionReview in, AdmissionReview out, no I/O. The HTTP
 * server parses the body, calls decodeReview then admit, and sends `outcome.review`.
 */
export { admit, type AdmitOptions } from './admit.js';
export { decodeReview, isReviewError } from './decode.js';
export {
  boundAuditAnnotations,
  isValidAuditAnnotationKey,
  toAuditAnnotationKey,
} from './audit-annotations.js';
export { boundWarnings, type WarningLimits } from './warnings.js';
export { applyJsonPatch, type PatchApplication } from './json-patch.js';
export * from './types.js';

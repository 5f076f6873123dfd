export {
  DEFAULT_ATTEMPTS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_OUTLIER_DETECTION,
  DEFAULT_PER_TRY_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  generateTraffic,
  HOST_LABEL,
  IDEMPOTENT_RETRY_ON,
  resolveDestinations,
  routeSettings,
  SAFE_RETRY_ON,
  SERVED_CRONJOBS_ANNOTATION,
  trafficPolicy,
  type IstioNetworkingApiVersion,
  type ResolvedDestinations,
  type RouteSettings,
  type TrafficCronJob,
  type TrafficOptions,
  type TrafficProblem,
  type TrafficResult,
} from './generate.js';
export {
  selectDestinations,
  trafficPolicyFor,
  type SelectDestinationsContext,
  type SelectedDestinations,
} from './select.js';
export { formatMilliseconds, parseTrafficDuration, type DurationResult } from './duration.js';
export { normalizeHost, type HostResult } from './names.js';
export {
  isValidRetryOnToken,
  SUPPORTED_RETRY_ON,
  validateDestinationRule,
  validateVirtualService,
} from './validate.js';

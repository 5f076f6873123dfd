export { parseManifestText, type ManifestDocument, type ParseResult } from './parse.js';
export {
  DEFAULT_MAX_FILE_BYTES,
  loadManifests,
  STDIN_INPUT,
  STDIN_NAME,
  type LoadOptions,
  type LoadResult,
  type ManifestIo,
} from './load.js';

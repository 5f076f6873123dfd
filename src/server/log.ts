import type { LogLevel } from './config.js';

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * Structured logs: one JSON object per line with time, level and message. Fields
 * are flat scalars by type, so whole Kubernetes objects (which may hold secrets in
 * env values) cannot end up in a log line by accident.
 */
export interface Logger {
  enabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

export function createJsonLogger(
  minimum: LogLevel,
  write: (line: string) => void,
  now: () => Date = () => new Date(),
): Logger {
  const threshold = SEVERITY[minimum];
  return {
    enabled: (level) => SEVERITY[level] >= threshold,
    log(level, message, fields = {}) {
      if (SEVERITY[level] < threshold) return;
      write(JSON.stringify({ time: now().toISOString(), level, msg: message, ...fields }) + '\n');
    },
  };
}

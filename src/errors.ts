/**
 * Errors caused by what a user gave us (a bad flag, an unreadable file, a broken
 * policy). The CLI prints their message without a stack trace and exits 2.
 * Anything else is a bug and is reported as one.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A location in a source file, 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}:${location.column}`;
}

/** Where a user mistake lives: an action input, or a file (and line) the user wrote. */
export interface MistakeLocation {
  input?: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * The one error kind for user mistakes (bad input, malformed file). It is caught once, at the top of
 * every action, and turned into a single `::error` annotation and exit code 1. Anything else that is
 * thrown is a failure of the environment or a bug, and is reported as such.
 */
export class ConfigurationError extends Error {
  readonly location: MistakeLocation;

  constructor(message: string, location: MistakeLocation = {}) {
    super(message);
    this.name = 'ConfigurationError';
    this.location = location;
  }

  /** The message as the user reads it: prefixed with the input or file:line it is about. */
  describe(): string {
    const { input, file, line } = this.location;
    if (input !== undefined) return `input '${input}': ${this.message}`;
    if (file !== undefined) return `${file}${line !== undefined ? `:${line}` : ''}: ${this.message}`;
    return this.message;
  }
}

/** The message of anything thrown, for logs: never a stack for a user mistake. */
export function errorMessage(error: unknown): string {
  if (error instanceof ConfigurationError) return error.describe();
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

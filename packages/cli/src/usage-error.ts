/**
 * A mistake in the command line, an environment variable or the config file: the CLI prints the
 * message (which says what to change) and exits 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

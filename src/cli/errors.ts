/** An error the CLI prints as one line before exiting non-zero. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

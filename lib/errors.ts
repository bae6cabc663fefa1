/**
 * Errors a user can act on. The CLI prints `message` as one line and exits with code 2;
 * anything else is a bug and keeps its stack trace.
 */
export class CkdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CkdError';
  }
}

/** A problem with an input file: the message always names the file. */
export class DataError extends CkdError {
  readonly file: string;
  readonly problem: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'DataError';
    this.file = file;
    this.problem = problem;
  }
}

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

/** What a failed file-system call says, in words: 'no space left on device (ENOSPC)', 'EACCES', ... */
export function fsProblem(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOSPC': return 'no space left on device (ENOSPC)';
    case 'EDQUOT': return 'disk quota exceeded (EDQUOT)';
    case 'EROFS': return 'read-only file system (EROFS)';
    case 'EACCES': case 'EPERM': return `permission denied (${err.code})`;
    case 'EISDIR': return 'is a folder, not a file (EISDIR)';
    case 'EIO': return 'input/output error (EIO)';
    case undefined: return err instanceof Error ? err.message : String(e);
    default: return err.code;
  }
}

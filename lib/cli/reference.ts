import { formatHelp } from './args';
import { COMMANDS } from './index';

/** docs/cli.md: every command and option, rendered from the same specs as --help. */
export function cliReference(): string {
  const parts = [
    '# `ckd` command reference',
    '',
    'Generated from the commands\' own help by `npm run docs`; a test keeps it current.',
    'Errors a user can fix print one line on stderr and exit with code 2.',
    'The environment variable `CKD_BACKEND` (`tensorflow`, `wasm` or `cpu`) chooses the tfjs backend; by default the fastest available is used and named on stderr.',
    '',
  ];
  for (const [name, command] of Object.entries(COMMANDS)) {
    parts.push(`## ckd ${name}`, '', '```', formatHelp(command.spec), '```', '');
  }
  return parts.join('\n');
}

if (require.main === module) process.stdout.write(cliReference());

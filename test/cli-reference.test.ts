import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { cliReference } from '../lib/cli/reference';

describe('docs/cli.md', () => {
  it('matches the commands\' help (run `npm run docs` after changing an option)', () => {
    const file = path.resolve(__dirname, '..', '..', 'docs', 'cli.md');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), cliReference());
  });
});

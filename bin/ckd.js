#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/lib/cli/index.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/lib/cli')) {
    process.stderr.write('ckd: the package is not built; run `npm run build` first\n');
    process.exit(2);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then(code => process.exit(code), err => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});

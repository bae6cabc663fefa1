import { formatHelp } from './args';
import { COMMANDS } from './index';
import { paramsReference } from './params';

/** docs/cli.md: every command and option, rendered from the same specs as --help. */
export function cliReference(): string {
  const parts = [
    '# `ckd` command reference',
    '',
    'Generated from the commands\' own help by `npm run docs`; a test keeps it current.',
    'Run the tool as `node bin/ckd.js` in a clone, or `npx ckd` after `npm ci`; `ckd COMMAND --help` prints a command\'s section below.',
    'An error you can fix (a missing file, a wrong shape, NaN in features, an unknown model, an option out of range) prints one line on stderr naming the file or option and the problem, and exits with code 2 (`test/hostile-inputs.test.ts` runs such cases).',
    '`ckd reproduce --reference DIR` exits with code 1 when its results differ from the reference.',
    'The environment variable `CKD_BACKEND` (`tensorflow`, `wasm`, `cpu` or `webgpu`) chooses the tfjs backend; by default the fastest available of the first three is used and named on stderr.',
    '`webgpu` is the GPU path, used only when asked for: tfjs\'s WebGPU backend on Dawn\'s Node binding (`npm install --no-save webgpu`; a Vulkan driver), with `CKD_WEBGPU_FLAGS` passing Dawn\'s options (comma-separated, e.g. `backend=vulkan`). Every method, evaluation and the gradient probe run there ([gpu.md](gpu.md)).',
    '`CKD_GEMM_THREADS` (1 to 16) sets the threads of the fixed-feature products (default: min(2, cores); `ckd reproduce --jobs N` gives each worker cores / N); results are the same bits for any number.',
    '`CKD_GRAPH_THREADS` (1 to 16) does the same for the graph kernels (sparse-dense products, SDDMM, segment softmax; default: `CKD_GEMM_THREADS`, else min(2, cores)); the same bits for any number ([speed.md](speed.md#graph-kernels-on-two-threads)).',
    '`CKD_KERNELS=stock` makes every operation of `lib/nn` run tfjs\'s own ops instead of the project\'s kernels: slower, for teaching and as a reference; results agree to float rounding, not bit for bit, and it needs memory of edges x nodes, so it is for small data sets ([speed.md](speed.md)).',
    '',
  ];
  parts.push('## In short', '', '```');
  for (const command of Object.values(COMMANDS)) parts.push(command.spec.usage);
  parts.push('```', '');
  for (const [name, command] of Object.entries(COMMANDS)) {
    parts.push(`## ckd ${name}`, '', '```', formatHelp(command.spec), '```', '');
  }
  parts.push(...paramsReference());
  return parts.join('\n');
}

if (require.main === module) process.stdout.write(cliReference());

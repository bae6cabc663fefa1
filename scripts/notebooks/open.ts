/**
 * `npm run notebooks`: installs the project's tslab kernel spec (absolute paths, see kernel.ts) and
 * starts a notebook server in notebooks/. Options: USAGE below; docs/notebooks.md.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { activeKernelDir, findProjectRoot, installKernelSpec, kernelSpecProblems } from './kernel';

const USAGE = `npm run notebooks [-- [--lab] [--install-only] [--jupyter CMD] [JUPYTER OPTIONS...]]

Installs the project's tslab kernel spec (absolute paths to node and node_modules/tslab) into the
Jupyter data folder, then starts a notebook server in notebooks/.

  (nothing)        the classic notebook server: \`jupyter notebook\` (Debian: apt-get install jupyter-notebook)
  --lab            JupyterLab instead: \`jupyter lab\`
  --install-only   install the kernel spec and stop (then open notebooks/ in any Jupyter front end)
  --jupyter CMD    the jupyter command (default $CKD_JUPYTER, else \`jupyter\` from PATH)
  other options    go to the server, e.g. --port=8890 --no-browser --ip=127.0.0.1

The notebooks read CKD_RESULTS, CKD_DATA and CKD_QUICK from the server's environment.
See docs/notebooks.md.
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`notebooks: ${message}\n`);
  process.exit(code);
}

function main(argv: string[]): void {
  let lab = false;
  let installOnly = false;
  let jupyter = process.env.CKD_JUPYTER || 'jupyter';
  const serverArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--lab') lab = true;
    else if (a === '--install-only') installOnly = true;
    else if (a === '--jupyter') { jupyter = argv[++i] ?? fail('--jupyter needs a command', 2); }
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); return; }
    else serverArgs.push(a);
  }
  if (installOnly && serverArgs.length > 0) fail(`--install-only starts no server; unexpected ${serverArgs.join(' ')}`, 2);

  const root = findProjectRoot(__dirname);
  let installed;
  try {
    installed = installKernelSpec({ root, jupyter });
  } catch (e) {
    fail((e as Error).message);
  }
  const problems = kernelSpecProblems(installed.spec);
  if (problems.length > 0) fail(`the kernel spec written to ${installed.file} is not usable: ${problems.join('; ')}`);
  console.log(`notebooks: tslab kernel spec ${installed.file} (Jupyter data folder from ${installed.dataDirFrom})`);
  console.log(`notebooks:   runs ${installed.spec.argv.join(' ')}`);

  const active = activeKernelDir(jupyter);
  const ours = fs.realpathSync(path.dirname(installed.file));
  if (active === undefined) {
    if (!installOnly) fail(`'${jupyter} kernelspec list' does not answer (or lists no tslab kernel): install Jupyter (on Debian: apt-get install jupyter-notebook), or name it with --jupyter CMD`);
    console.log(`notebooks: no working '${jupyter}' to confirm it; a Jupyter that reads ${installed.dataDir} will find it`);
  } else if (fs.realpathSync(active) !== ours) {
    fail(`Jupyter would start the tslab kernel spec in ${active}, not this one (a folder on $JUPYTER_PATH comes first): remove it, or unset JUPYTER_PATH`);
  }
  if (installOnly) return;

  const frontEnd = lab ? 'lab' : 'notebook';
  const args = [frontEnd, ...serverArgs];
  // Notebook servers refuse to run as root without it (containers often run as root).
  if (process.getuid?.() === 0 && !args.includes('--allow-root')) args.push('--allow-root');
  const cwd = path.join(root, 'notebooks');
  console.log(`notebooks: starting \`${jupyter} ${args.join(' ')}\` in ${cwd}` +
    ` (results: ${process.env.CKD_RESULTS ? `CKD_RESULTS=${process.env.CKD_RESULTS}` : 'results/<preset>-<data set>'})`);
  const child = spawn(jupyter, args, { cwd, stdio: 'inherit' });
  // Ctrl-C reaches the server too (same process group); it asks whether to shut down.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', e => fail(`could not start ${jupyter}: ${e.message}`));
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null) {
      process.stderr.write(`notebooks: \`${jupyter} ${frontEnd}\` exited with ${code}` +
        (lab ? ' (JupyterLab is not packaged in Debian: pip install jupyterlab, or use the classic server without --lab)\n'
          : ' (on Debian the classic server is in the package jupyter-notebook)\n'));
    }
    process.exit(code ?? (signal ? 1 : 0));
  });
}

main(process.argv.slice(2));

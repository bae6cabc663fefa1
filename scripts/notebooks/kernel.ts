/**
 * The project's tslab kernel spec. `tslab install` writes a kernel.json whose argv[0] is the bare
 * command `tslab`, which a notebook server finds only when tslab is installed globally: with the
 * project-local tslab (node_modules/.bin is not on PATH) the kernel never starts ("Kernel error",
 * FileNotFoundError: 'tslab'). This writes the same spec with absolute paths instead, to this Node.js
 * and to the project's node_modules/tslab/bin/tslab, into the user's Jupyter data folder
 * (`jupyter --data-dir`; $JUPYTER_DATA_DIR when set), where it takes precedence over a system-wide
 * `tslab` spec (from an earlier `tslab install` as root). No Python is needed to write it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The kernel name the notebooks' metadata asks for. */
export const KERNEL_NAME = 'tslab';

export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
}

/** The project folder: the first one up from `from` that holds package.json. */
export function findProjectRoot(from: string = __dirname): string {
  let dir = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
}

/** The tslab entry script of the project's node_modules (what node_modules/.bin/tslab links to). */
export function tslabScript(root: string): string {
  return path.join(root, 'node_modules', 'tslab', 'bin', 'tslab');
}

/** kernel.json: tslab's own (python/install.py), with node and tslab as absolute paths; js: its JavaScript kernel (jslab). */
export function kernelSpec(node: string, tslab: string, js = false): KernelSpec {
  return {
    argv: [node, tslab, 'kernel', '--config-path', '{connection_file}', ...(js ? ['--js'] : [])],
    display_name: js ? 'JavaScript' : 'TypeScript',
    language: js ? 'javascript' : 'typescript',
  };
}

/**
 * Where Jupyter keeps a user's data (kernels/ below it) when no `jupyter` answers:
 * jupyter_core's rules for $JUPYTER_DATA_DIR and the platform default.
 */
export function defaultJupyterDataDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform, home: string = os.homedir()): string {
  if (env.JUPYTER_DATA_DIR) return path.resolve(env.JUPYTER_DATA_DIR);
  if (platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return env.APPDATA ? path.join(env.APPDATA, 'jupyter') : path.join(home, '.jupyter', 'data');
  return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** What `jupyter ARGS` printed, or undefined when there is no working `jupyter` command. */
function jupyterOutput(jupyter: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(jupyter, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000 });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}

/** The user's Jupyter data folder as `jupyter --data-dir` reports it, else defaultJupyterDataDir. */
export function jupyterDataDir(jupyter: string, env: NodeJS.ProcessEnv = process.env): { dir: string; from: string } {
  const out = jupyterOutput(jupyter, ['--data-dir'], env)?.trim();
  if (out) return { dir: out, from: `${jupyter} --data-dir` };
  return { dir: defaultJupyterDataDir(env), from: `no working '${jupyter}' command: the default location` };
}

/** The folder of the `tslab` kernel spec that Jupyter would use, or undefined (none, or no jupyter). */
export function activeKernelDir(jupyter: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const out = jupyterOutput(jupyter, ['kernelspec', 'list', '--json'], env);
  if (!out) return undefined;
  try {
    const specs = JSON.parse(out).kernelspecs as Record<string, { resource_dir: string }>;
    return specs[KERNEL_NAME]?.resource_dir;
  } catch {
    return undefined;
  }
}

/** What is wrong with a kernel.json for this project ([] when nothing). */
export function kernelSpecProblems(spec: unknown): string[] {
  const argv = (spec as KernelSpec | undefined)?.argv;
  if (!Array.isArray(argv) || argv.length === 0) return ['kernel.json has no argv'];
  const problems: string[] = [];
  if (!path.isAbsolute(argv[0])) problems.push(`argv[0] '${argv[0]}' is not an absolute path: the notebook server looks it up on its PATH`);
  else if (!fs.existsSync(argv[0])) problems.push(`argv[0] ${argv[0]} does not exist`);
  if (argv.length > 1 && /tslab$/.test(argv[1]) && !fs.existsSync(argv[1])) problems.push(`argv[1] ${argv[1]} does not exist: run npm ci`);
  if (!argv.includes('{connection_file}')) problems.push('argv lacks {connection_file}');
  return problems;
}

export interface InstalledKernel {
  file: string;
  spec: KernelSpec;
  dataDir: string;
  /** How dataDir was found. */
  dataDirFrom: string;
}

/**
 * Writes DATA_DIR/kernels/tslab/kernel.json (replacing an earlier one), and jslab's, tslab's
 * JavaScript kernel, as `tslab install` does (so that no broken jslab spec is left in the menu).
 */
export function installKernelSpec(o: { root: string; jupyter: string; env?: NodeJS.ProcessEnv; node?: string }): InstalledKernel {
  const tslab = tslabScript(o.root);
  if (!fs.existsSync(tslab)) throw new Error(`${tslab} is missing: run npm ci in ${o.root}`);
  const { dir: dataDir, from } = jupyterDataDir(o.jupyter, o.env ?? process.env);
  const spec = kernelSpec(o.node ?? process.execPath, tslab);
  const write = (name: string, s: KernelSpec) => {
    const kernelDir = path.join(dataDir, 'kernels', name);
    fs.mkdirSync(kernelDir, { recursive: true });
    fs.writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify(s, null, 1) + '\n');
    return path.join(kernelDir, 'kernel.json');
  };
  const file = write(KERNEL_NAME, spec);
  write('jslab', kernelSpec(spec.argv[0], tslab, true));
  return { file, spec, dataDir, dataDirFrom: from };
}

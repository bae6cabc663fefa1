/**
 * `ckd reproduce` as a Slurm array job (scripts/slurm/reproduce.sbatch) on a real cluster: the
 * smoke preset on tiny data in three array tasks must give the tables of a single local process,
 * byte for byte; so must an array whose task 2 is killed with SIGKILL in the middle of a cell and
 * then submitted again alone (CKD_SHARDS=3), which resumes from its own store file.
 *
 * Needs a cluster whose nodes see this folder and the temporary folder (CKD_SLURM_TMP, default
 * the system's): `bash scripts/slurm/local-cluster.sh start` (root) makes a one-node one. Without
 * one (sinfo fails) the tests skip, unless CKD_SLURM=1 (what CI sets), which makes them fail.
 */
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadDataset } from '../lib/data/loaders';
import { datasetFingerprint } from '../lib/experiments/provenance';
import { PRESETS, planCells, shardCells } from '../lib/experiments/reproduce-plan';
import { ResultStore, configKey } from '../lib/experiments/result-store';
import { RunCell, RunCellResult } from '../lib/experiments/run-cell';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'ckd.js');
const SCRIPT = path.join(ROOT, 'scripts', 'slurm', 'reproduce.sbatch');
const REQUIRED = process.env.CKD_SLURM === '1';
const SHARDS = 3;
const CELLS_PER_SHARD = 10; // the smoke preset: one VBPR seed per shard

/** Why no cluster is usable, or undefined. */
function clusterProblem(): string | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', timeout: 30000 });
  if (r.error) return `sinfo: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) return `sinfo failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`;
  if (!/^(idle|mix|alloc)/m.test(r.stdout)) return `no node is up (sinfo: ${r.stdout.trim().replace(/\n/g, ', ') || 'no nodes'})`;
  return undefined;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, cwd: ROOT });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Runs bin/ckd.js; resolves with stdout and stderr, rejects on a non-zero exit. */
function ckd(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => { stdout += d; });
    child.stderr.on('data', d => { stderr += d; });
    child.on('close', code => code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`ckd ${args.join(' ')}: exit ${code}\n${stderr}`)));
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

interface TaskState { task: number; jobId: string; state: string; exit: string }

describe('Slurm: ckd reproduce as an array job', function () {
  this.timeout(900000);
  let tmp: string;
  let logs: string;
  let data: string;
  let localTables: string;
  let shardKeys: string[][];
  const jobs: string[] = [];

  /** Submits the array job script; returns the array's job id. */
  const submit = (name: string, array: string, out: string, env: Record<string, string> = {}): string => {
    const exported = ['ALL', `CKD_PRESET=smoke`, `CKD_DATA=${data}`, `CKD_OUT=${out}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
    const id = sh('sbatch', ['--parsable', `--array=${array}`, `--job-name=ckd-test-${name}`, '--cpus-per-task=1', '--mem=500M', '--time=10:00',
      `--output=${logs}/${name}-%A_%a.out`, `--error=${logs}/${name}-%A_%a.out`, `--export=${exported.join(',')}`, SCRIPT]).trim().split(';')[0];
    assert.match(id, /^\d+$/, `sbatch printed '${id}'`);
    jobs.push(id);
    return id;
  };
  const logOf = (name: string, job: string, task: number) => path.join(logs, `${name}-${job}_${task}.out`);
  const readLog = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');

  /** Waits until no task of the job is pending or running. */
  const waitFor = async (job: string, name: string, limitS = 300) => {
    const t0 = Date.now();
    while (sh('squeue', ['-h', '-j', job, '-o', '%i']).trim() !== '') {
      if (Date.now() - t0 > limitS * 1000) {
        spawnSync('scancel', [job]);
        const tails = fs.readdirSync(logs).filter(f => f.startsWith(`${name}-${job}_`)).map(f => `${f}:\n${readLog(path.join(logs, f)).slice(-2000)}`);
        throw new Error(`job ${job} still running after ${limitS}s; cancelled. Logs:\n${tails.join('\n')}`);
      }
      await sleep(1000);
    }
  };

  /** The array's tasks and how they ended (scontrol keeps finished jobs for MinJobAge; sacct where there is accounting). */
  const tasksOf = (job: string): TaskState[] => {
    const r = spawnSync('scontrol', ['-o', 'show', 'job', job], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.includes('ArrayTaskId=')) {
      return r.stdout.trim().split('\n').map(line => {
        const f = (k: string) => new RegExp(`(?:^| )${k}=(\\S+)`).exec(line)?.[1] ?? '';
        return { task: Number(f('ArrayTaskId')), jobId: f('JobId'), state: f('JobState'), exit: f('ExitCode') };
      }).sort((a, b) => a.task - b.task);
    }
    const out = sh('sacct', ['-n', '-X', '-P', '-j', job, '-o', 'JobID,JobIDRaw,State,ExitCode']);
    return out.trim().split('\n').map(l => l.split('|')).filter(p => /_\d+$/.test(p[0]))
      .map(p => ({ task: Number(p[0].split('_')[1]), jobId: p[1], state: p[2].split(' ')[0], exit: p[3] })).sort((a, b) => a.task - b.task);
  };

  /** Every record line of the folder's store files: key per file. */
  const keysByFile = (out: string): Map<string, string[]> => {
    const m = new Map<string, string[]>();
    for (const f of fs.readdirSync(out).filter(n => n.endsWith('.jsonl')).sort()) {
      m.set(f, new ResultStore<RunCell, RunCellResult>(path.join(out, f), { warn: () => undefined }).records().map(r => r.key));
    }
    return m;
  };

  const tablesOf = async (out: string) => {
    await ckd(['reproduce', '--preset', 'smoke', '--data', data, '--out', out, '--report-only', '--quiet']);
    return fs.readFileSync(path.join(out, 'tables.md'), 'utf8');
  };

  before(async function () {
    const problem = clusterProblem();
    if (problem) {
      if (REQUIRED) throw new Error(`CKD_SLURM=1 but no Slurm cluster is reachable (${problem}); start one with: bash scripts/slurm/local-cluster.sh start`);
      console.log(`      skipped: no Slurm cluster is reachable (${problem}); \`bash scripts/slurm/local-cluster.sh start\` (as root) makes one; CKD_SLURM=1 turns this skip into a failure`);
      this.skip();
    }
    tmp = fs.mkdtempSync(path.join(process.env.CKD_SLURM_TMP || os.tmpdir(), 'ckd-slurm-'));
    logs = path.join(tmp, 'logs');
    fs.mkdirSync(logs);
    data = path.join(tmp, 'tiny');
    await ckd(['data', 'synth', '--preset', 'tiny', '--out', data]);
    const t0 = Date.now();
    await ckd(['reproduce', '--preset', 'smoke', '--data', data, '--out', path.join(tmp, 'local'), '--quiet']);
    localTables = fs.readFileSync(path.join(tmp, 'local', 'tables.md'), 'utf8');
    console.log(`      the local single-process run: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const cells = planCells(PRESETS.smoke, datasetFingerprint(loadDataset(data)));
    shardKeys = Array.from({ length: SHARDS }, (_, k) => shardCells(cells, k, SHARDS).map(p => configKey(p.cell)).sort());
    assert.ok(shardKeys.every(s => s.length === CELLS_PER_SHARD));
  });

  after(() => {
    for (const j of jobs) spawnSync('scancel', [j]);
    if (tmp && !process.env.CKD_SLURM_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('three array tasks write one store file each, and their merged tables equal a local run\'s, byte for byte', async () => {
    const t0 = Date.now();
    const out = path.join(tmp, 'array');
    const job = submit('array', `1-${SHARDS}`, out);
    await waitFor(job, 'array');
    const tasks = tasksOf(job);
    assert.deepStrictEqual(tasks.map(t => [t.task, t.state, t.exit]), [1, 2, 3].map(k => [k, 'COMPLETED', '0:0']),
      [1, 2, 3].map(k => readLog(logOf('array', job, k)).slice(-1500)).join('\n'));
    assert.match(readLog(logOf('array', job, 2)), /shard 2\/3 \(N from SLURM_ARRAY_TASK_COUNT\)/);
    const files = keysByFile(out);
    assert.deepStrictEqual([...files.keys()], [1, 2, 3].map(k => `store.shard-${k}-of-3.jsonl`), 'one store file per task, no store.jsonl');
    [1, 2, 3].forEach(k => assert.deepStrictEqual([...files.get(`store.shard-${k}-of-3.jsonl`)!].sort(), shardKeys[k - 1], `task ${k} ran exactly shard ${k}'s cells`));
    assert.strictEqual(await tablesOf(out), localTables);
    console.log(`      array of ${SHARDS} tasks and the merged report: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });

  it('a task killed with SIGKILL in the middle of a cell, submitted again alone, resumes and the tables are the same', async () => {
    const t0 = Date.now();
    const out = path.join(tmp, 'killed');
    const job = submit('killed', `1-${SHARDS}`, out);
    const log = logOf('killed', job, 2);
    // Task 2 has finished two cells and started its third: kill it now.
    for (let waited = 0; !/^\[3\/10\]/m.test(readLog(log)); waited += 50) {
      if (waited > 240000) throw new Error(`task 2 never reached its third cell:\n${readLog(log)}`);
      await sleep(50);
    }
    const raw = /JobId=(\d+)/.exec(sh('scontrol', ['-o', 'show', 'job', `${job}_2`]))![1];
    const pids = spawnSync('scontrol', ['listpids', raw], { encoding: 'utf8' });
    const found = pids.status === 0 ? pids.stdout.split('\n').slice(1).map(l => Number(l.trim().split(/\s+/)[0])).filter(p => p > 0) : [];
    if (found.length > 0) {
      for (const pid of found) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ } }
    } else {
      sh('scancel', ['--signal=KILL', `${job}_2`]); // not on this node: let Slurm do it
    }
    await waitFor(job, 'killed');
    const tasks = tasksOf(job);
    assert.deepStrictEqual(tasks.filter(t => t.task !== 2).map(t => t.state), ['COMPLETED', 'COMPLETED']);
    assert.notStrictEqual(tasks[1].state, 'COMPLETED', `task 2 was killed: ${JSON.stringify(tasks[1])}`);
    // The kill lands in the middle of the cell started last: the third, or a later one when a
    // tiny cell finished between the poll and the kill (the kill's timing is the machine's). It
    // may also land after that cell's record was appended but before the next cell's progress
    // line: then the store holds one more record than the log shows finished.
    const lastLine = readLog(log).trim().split('\n').filter(l => !/CANCELLED|slurmstepd/.test(l)).pop()!;
    const running = /^\[(\d+)\/10\] /.exec(lastLine);
    assert.ok(running && Number(running[1]) >= 3 && Number(running[1]) < 10, `the kill landed in the middle of a cell after the second, not: ${lastLine}`);
    const before = keysByFile(out).get('store.shard-2-of-3.jsonl')!;
    const done = before.length;
    assert.ok(done === Number(running[1]) - 1 || done === Number(running[1]),
      `the finished cells, and only those, are in the killed task's file: ${done} records, last log line ${lastLine}`);

    // Submitted again alone: a one-task array, told how many shards there are.
    const again = submit('again', '2', out, { CKD_SHARDS: String(SHARDS) });
    await waitFor(again, 'again');
    assert.deepStrictEqual(tasksOf(again).map(t => [t.task, t.state, t.exit]), [[2, 'COMPLETED', '0:0']], readLog(logOf('again', again, 2)).slice(-2000));
    assert.match(readLog(logOf('again', again, 2)), new RegExp(`shard 2/3 \\(N from CKD_SHARDS\\)[\\s\\S]*10 cells planned in shard 2/3, ${done} done earlier, ${10 - done} to run`));
    const files = keysByFile(out);
    const all = [...files.values()].flat();
    assert.strictEqual(all.length, SHARDS * CELLS_PER_SHARD, 'every cell once: none ran twice');
    assert.strictEqual(new Set(all).size, all.length);
    assert.deepStrictEqual(files.get('store.shard-2-of-3.jsonl')!.slice(0, done), before, 'the records from before the kill kept');
    assert.strictEqual(await tablesOf(out), localTables);
    console.log(`      array with a task killed and submitted again, and the merged report: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  });
});

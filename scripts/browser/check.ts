/**
 * The browser check: what a user sees, in a real browser (headless Chromium driven by
 * puppeteer-core; it uses the installed Chromium and downloads none).
 *
 *  1. Installs the tslab kernel spec the documented way (`npm run notebooks -- --install-only`,
 *     i.e. dist/scripts/notebooks/open.js) into a temporary Jupyter data folder, and starts the
 *     classic notebook server through the same script on 127.0.0.1 (free port, a token, no browser),
 *     on copies of the notebooks in a temporary folder, without node_modules/.bin on its PATH.
 *  2. Opens each notebook, runs all cells through the page (Jupyter.notebook.execute_all_cells()),
 *     waits until none is running and the kernel is idle, and fails on a kernel that did not start,
 *     an error output, a cell that did not run, or a figure cell without a drawn figure.
 *  3. Opens RESULTS/report.html offline (every request that is not file:, data: or blob: is
 *     blocked and reported) and fails unless every figure has plotly's svg.main-svg and the console
 *     shows no errors.
 *
 * Each failure is one line starting "browser check: FAIL". Usage: USAGE below.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import puppeteer, { Browser, Page } from 'puppeteer-core';
import { findChromium } from '../../lib/experiments/figures';
import { findProjectRoot } from '../notebooks/kernel';
import { CellState, Notebook, notebookProblems } from './expect';

const USAGE = `node dist/scripts/browser/check.js [--results DIR] [--no-notebooks] [--no-report]
    [--timeout SECONDS] [NOTEBOOK.ipynb ...]

  --results DIR    a results folder of \`ckd reproduce\`: the notebooks get it as CKD_RESULTS, and
                   DIR/report.html is checked (without it: the notebooks use their default results
                   folder and no report is checked)
  --no-notebooks   check only the report;  --no-report: only the notebooks
  --timeout S      per notebook, for Run All (default 900)
  NOTEBOOK         notebooks to run (default notebooks/*.ipynb); copies are run, never the originals

Environment: CKD_CHROMIUM (default /usr/bin/chromium and the like), CKD_JUPYTER (default jupyter).
Needs (Debian): chromium jupyter-notebook; and npm ci && npm run build.
`;

declare const Jupyter: any; // the classic notebook's page global

const T0 = Date.now();
const failures: string[] = [];

function log(line: string): void {
  process.stdout.write(`browser check: ${line}\n`);
}

function fail(line: string): void {
  failures.push(line);
  process.stdout.write(`browser check: FAIL ${line}\n`);
}

function seconds(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(0)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function httpRequest(method: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise(resolve => {
    const req = http.request(url, { method, timeout: 10000 }, res => {
      let body = '';
      res.on('data', d => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.on('timeout', () => { req.destroy(); resolve({ status: 0, body: '' }); });
    req.end();
  });
}

/** The last line of the server's log that names an error (why a kernel did not start). */
function lastErrorLine(logText: string): string | undefined {
  return logText.split('\n').map(l => l.trim()).filter(l => /\w*Error\b|No such kernel|Failed to start/.test(l)).pop();
}

interface Server {
  base: string;
  token: string;
  child: ChildProcess;
  log: () => string;
  logFile: string;
}

/** Without node_modules/.bin (which `npm run` puts first): the kernel spec must not depend on it. */
function pathWithoutNodeBins(p: string | undefined): string {
  return (p ?? '').split(path.delimiter).filter(d => d !== '' && !/node_modules[\\/]\.bin$/.test(d)).join(path.delimiter);
}

async function startServer(root: string, env: NodeJS.ProcessEnv, notebookDir: string, tmp: string): Promise<Server> {
  const open = path.join(root, 'dist', 'scripts', 'notebooks', 'open.js');
  // The documented way, step 1: install the kernel spec (into env's JUPYTER_DATA_DIR).
  const inst = spawnSync(process.execPath, [open, '--install-only'], { env, encoding: 'utf8' });
  if (inst.status !== 0) throw new Error(`the documented kernel install failed: ${(inst.stderr || inst.stdout).trim().split('\n').pop()}`);
  log(inst.stdout.trim().split('\n').filter(l => /runs /.test(l)).map(l => `kernel spec ${l.replace(/^notebooks:\s*/, '')}`).join('') || 'kernel spec installed');
  // Step 2: the server, through the same script.
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  const logFile = path.join(tmp, 'server.log');
  const out = fs.openSync(logFile, 'w');
  const child = spawn(process.execPath, [open, '--no-browser', '--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', `--notebook-dir=${notebookDir}`],
    { env: { ...env, JUPYTER_TOKEN: token }, stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  const base = `http://127.0.0.1:${port}`;
  const readLog = () => fs.readFileSync(logFile, 'utf8');
  let exited: number | null | undefined;
  child.on('exit', code => { exited = code; });
  const t0 = Date.now();
  while (Date.now() - t0 < 90000) {
    if (exited !== undefined) throw new Error(`the notebook server exited (${exited}): ${lastErrorLine(readLog()) ?? readLog().trim().split('\n').pop()}`);
    const r = await httpRequest('GET', `${base}/api/status?token=${token}`);
    if (r.status === 200) return { base, token, child, log: readLog, logFile };
    await sleep(500);
  }
  throw new Error(`the notebook server did not answer on ${base} within 90 s`);
}

async function stopServer(s: Server): Promise<void> {
  await deleteSessions(s);
  if (s.child.exitCode !== null) return;
  const gone = new Promise<void>(r => s.child.once('exit', () => r()));
  try { process.kill(-s.child.pid!, 'SIGTERM'); } catch { /* gone */ }
  await Promise.race([gone, sleep(10000)]);
  try { process.kill(-s.child.pid!, 'SIGKILL'); } catch { /* gone */ }
}

/** Shuts the kernels down (they run in their own sessions: killing the server's group misses them). */
async function deleteSessions(s: Server): Promise<void> {
  const r = await httpRequest('GET', `${s.base}/api/sessions?token=${s.token}`);
  if (r.status !== 200) return;
  for (const sess of JSON.parse(r.body) as { id: string }[]) await httpRequest('DELETE', `${s.base}/api/sessions/${sess.id}?token=${s.token}`);
}

async function launchBrowser(chromium: string, tmp: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: path.join(tmp, 'chromium-profile'),
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    protocolTimeout: 300000,
  });
}

/** What the page shows about the kernel: ready, dead (with the notification), a dialog. */
interface KernelState { ready: boolean; dead: boolean; busy: boolean; notification: string; dialog?: string }

function kernelState(page: Page): Promise<KernelState> {
  return page.evaluate(() => {
    const icon = document.querySelector('#kernel_indicator_icon')?.className ?? '';
    const modal = document.querySelector('.modal.in, .modal[style*="display: block"]');
    const k = Jupyter.notebook.kernel;
    return {
      ready: !!k && k.is_connected() && !!k.info_reply && Object.keys(k.info_reply).length > 0,
      dead: /kernel_dead_icon|kernel_disconnected_icon/.test(icon),
      busy: /kernel_busy_icon/.test(icon),
      notification: (document.querySelector('#notification_kernel')?.textContent ?? '').trim(),
      dialog: modal ? (modal.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 300) : undefined,
    };
  });
}

/** Every cell's state in the page (outputs without their bulky HTML and image data). */
function cellStates(page: Page): Promise<CellState[]> {
  return page.evaluate(() => Jupyter.notebook.get_cells().map((c: any, index: number) => {
    const area: HTMLElement | undefined = c.output_area?.element?.[0];
    const outputs = (c.output_area ? c.output_area.toJSON() : []).map((o: any) => ({
      output_type: o.output_type, name: o.name, text: o.text, ename: o.ename, evalue: o.evalue, traceback: o.traceback,
      data: o.data ? Object.fromEntries(Object.keys(o.data).map(k => [k, ''])) : undefined,
    }));
    let drawn = 0;
    const undrawn: string[] = [];
    if (area) {
      area.querySelectorAll('.js-plotly-plot, .ckd-figure').forEach(el => {
        if (el.querySelector('svg.main-svg')) drawn++;
        else undrawn.push(`plotly figure #${el.id || '?'} without svg: ${(el.textContent ?? '').trim().slice(0, 120) || 'empty'}`);
      });
      area.querySelectorAll('img').forEach(img => {
        if (img.complete && img.naturalWidth > 0) drawn++;
        else undrawn.push(`image that did not load (${img.src.slice(0, 40)}...)`);
      });
    }
    return {
      index, cellType: c.cell_type, executed: typeof c.input_prompt_number === 'number',
      running: c.element.hasClass('running'), status: c.ckdStatus, outputs, drawn, undrawn,
    };
  }));
}

async function runNotebook(browser: Browser, server: Server, file: string, name: string, timeoutS: number): Promise<void> {
  const t0 = Date.now();
  const nb = JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
  const page = await browser.newPage();
  page.setDefaultTimeout(120000);
  const consoleErrors: string[] = [];
  page.on('pageerror', e => consoleErrors.push(`page error: ${(e as Error).message ?? e}`));
  const logBefore = server.log().length;
  try {
    await page.goto(`${server.base}/notebooks/${encodeURIComponent(path.basename(file))}?token=${server.token}`, { waitUntil: 'domcontentloaded' });
    try {
      await page.waitForFunction(() => typeof Jupyter !== 'undefined' && Jupyter.notebook && Jupyter.notebook._fully_loaded, { timeout: 60000 });
    } catch {
      fail(`${name}: the classic notebook page did not load (no Jupyter.notebook within 60 s; this check drives notebook < 7, Debian's jupyter-notebook)`);
      return;
    }
    await page.evaluate(() => Jupyter.notebook.set_autosave_interval(0)); // a copy, but never save anyway
    // The kernel: ready, or dead / a dialog ("Kernel error", "Kernel not found").
    const tk = Date.now();
    let restarted = false;
    for (;;) {
      const k = await kernelState(page);
      if (k.ready) break;
      const waited = Date.now() - tk;
      // tslab 1.0.22 (zeromq 6) has a start-up race: a request that arrives while its sockets are
      // still binding kills its receive loop ("Socket is blocked by a bind or unbind operation" in
      // the server log) and the kernel never answers. What a user does then: Kernel > Restart, once.
      if (!restarted && !k.dead && !k.dialog && waited > 45000) {
        const why = lastErrorLine(server.log().slice(logBefore));
        log(`${name}: note, no kernel_info reply in 45 s${why ? ` (the server says: ${why})` : ''}; restarting the kernel once`);
        restarted = true;
        await page.evaluate(() => Jupyter.notebook.kernel.restart());
        continue;
      }
      if (k.dead || k.dialog || waited > 165000) {
        const why = lastErrorLine(server.log().slice(logBefore));
        fail(`${name}: the kernel did not start (${k.dialog ?? (k.notification || (k.dead ? 'kernel dead' : `no kernel_info reply in ${(waited / 1000).toFixed(0)} s${restarted ? ', also after a restart' : ''}`))})` +
          (why ? `; the server says: ${why}` : ''));
        return;
      }
      await sleep(500);
    }
    log(`${name}: kernel ready (${seconds(tk)}), running all cells`);
    const tr = Date.now();
    await page.evaluate(() => {
      // Keep each execute reply's status on its cell: tslab signals a failed cell only there.
      for (const c of Jupyter.notebook.get_cells()) {
        if (c.cell_type !== 'code') continue;
        const handle = c._handle_execute_reply;
        c._handle_execute_reply = function (msg: any) { this.ckdStatus = msg.content.status; return handle.call(this, msg); };
      }
      Jupyter.notebook.execute_all_cells();
    });
    let quietSince: number | undefined;
    for (;;) {
      const { running, k } = await page.evaluate(() => ({
        running: document.querySelectorAll('.cell.code_cell.running').length,
        k: (document.querySelector('#kernel_indicator_icon')?.className ?? ''),
      }));
      if (/kernel_dead_icon|kernel_disconnected_icon/.test(k)) {
        const why = lastErrorLine(server.log().slice(logBefore));
        fail(`${name}: the kernel died during Run All${why ? `; the server says: ${why}` : ''}`);
        break;
      }
      if (running === 0 && /kernel_idle_icon/.test(k)) {
        quietSince ??= Date.now();
        if (Date.now() - quietSince > 1500) break;
      } else {
        quietSince = undefined;
      }
      if (Date.now() - tr > timeoutS * 1000) {
        const states = await cellStates(page);
        const cell = states.find(s => s.running);
        fail(`${name}: Run All did not finish within ${timeoutS} s` + (cell ? ` (cell ${cell.index + 1} still running)` : ''));
        break;
      }
      await sleep(1000);
    }
    // Plotly draws after its script ran; give figures a moment.
    let states = await cellStates(page);
    for (let i = 0; i < 30 && notebookProblems(name, nb, states).some(p => /figure did not render/.test(p)); i++) {
      await sleep(1000);
      states = await cellStates(page);
    }
    const problems = notebookProblems(name, nb, states);
    problems.forEach(fail);
    const code = states.filter(s => s.cellType === 'code');
    const figures = states.reduce((n, s) => n + s.drawn, 0);
    if (problems.length === 0) {
      log(`${name}: ok, ${code.filter(s => s.executed).length} code cells ran, ${figures} figure(s) drawn (${seconds(t0)})`);
    }
    if (consoleErrors.length > 0) log(`${name}: note, the page reported: ${consoleErrors.slice(0, 3).join(' | ')}`);
  } finally {
    await page.close({ runBeforeUnload: false }).catch(() => undefined);
    await deleteSessions(server);
  }
}

async function checkReport(browser: Browser, reportFile: string): Promise<void> {
  const t0 = Date.now();
  const name = reportFile;
  const page = await browser.newPage();
  const blocked: string[] = [];
  const errors: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', req => {
    if (/^(file|data|blob|about):/.test(req.url())) void req.continue();
    else { blocked.push(req.url()); void req.abort('blockedbyclient'); }
  });
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(`uncaught: ${(e as Error).message ?? e}`));
  try {
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load', timeout: 120000 });
    const state = () => page.evaluate(() => Array.from(document.querySelectorAll('.ckd-figure, .js-plotly-plot'))
      .filter((el, i, all) => all.indexOf(el) === i)
      .map(el => ({
        id: el.id,
        drawn: !!el.querySelector('svg.main-svg'),
        title: (el.querySelector('.gtitle')?.textContent ?? '').trim(),
        text: (el.textContent ?? '').trim().slice(0, 120),
      })));
    let figs = await state();
    for (let i = 0; i < 60 && figs.some(f => !f.drawn); i++) { await sleep(1000); figs = await state(); }
    if (figs.length === 0) fail(`${name}: no plotly figures in the report`);
    figs.forEach((f, i) => {
      if (!f.drawn) fail(`${name}: figure ${i + 1} of ${figs.length} (#${f.id}) did not render: ${f.text || 'no svg.main-svg'}`);
    });
    for (const u of [...new Set(blocked)]) fail(`${name}: requested ${u.slice(0, 120)} (blocked: the report must open offline)`);
    for (const e of [...new Set(errors)]) {
      if (blocked.length > 0 && /net::ERR_BLOCKED_BY_CLIENT|Failed to load resource/.test(e)) continue; // reported as the request
      fail(`${name}: console error: ${e.split('\n')[0].slice(0, 200)}`);
    }
    if (figs.length > 0 && figs.every(f => f.drawn) && blocked.length === 0 && errors.length === 0) {
      log(`${path.basename(name)}: ok, ${figs.length} figure(s) drawn offline, no console errors (${seconds(t0)})`);
    }
  } finally {
    await page.close().catch(() => undefined);
  }
}

async function main(argv: string[]): Promise<number> {
  let results: string | undefined;
  let notebooks = true;
  let report = true;
  let timeoutS = 900;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--results') results = argv[++i];
    else if (a === '--no-notebooks') notebooks = false;
    else if (a === '--no-report') report = false;
    else if (a === '--timeout') timeoutS = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { process.stdout.write(USAGE); return 0; }
    else if (a.startsWith('-')) { process.stderr.write(`browser check: unknown option ${a}\n${USAGE}`); return 2; }
    else files.push(a);
  }
  if (results === '' || (results !== undefined && !fs.existsSync(results))) { process.stderr.write(`browser check: no results folder ${results}\n`); return 2; }
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) { process.stderr.write('browser check: --timeout needs seconds\n'); return 2; }
  const root = findProjectRoot(__dirname);
  const chromium = findChromium();
  if (!chromium) { process.stderr.write('browser check: no Chromium (on Debian: apt-get install chromium; or set CKD_CHROMIUM)\n'); return 2; }
  const jupyter = process.env.CKD_JUPYTER || 'jupyter';
  if (notebooks && spawnSync(jupyter, ['notebook', '--version'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write(`browser check: no classic notebook server ('${jupyter} notebook --version' failed; on Debian: apt-get install jupyter-notebook)\n`);
    return 2;
  }
  if (report && !results) report = false;
  if (notebooks && files.length === 0) {
    files.push(...fs.readdirSync(path.join(root, 'notebooks')).filter(f => f.endsWith('.ipynb')).sort().map(f => path.join(root, 'notebooks', f)));
  }

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-browser-'));
  let keep = false;
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser(chromium, tmp);
    log(`${(await browser.version())} (${chromium})`);
    if (notebooks) {
      // Copies beside links to dist/, node_modules/ and results/: the notebooks import
      // '../dist/lib/...', and some read committed records under '../results' (07-payoff).
      const work = path.join(tmp, 'project');
      fs.mkdirSync(path.join(work, 'notebooks'), { recursive: true });
      for (const d of ['dist', 'node_modules', 'results']) fs.symlinkSync(path.join(root, d), path.join(work, d));
      const copies = files.map(f => {
        const copy = path.join(work, 'notebooks', path.basename(f));
        fs.copyFileSync(f, copy);
        const rel = path.relative(root, path.resolve(f));
        return { copy, name: rel.startsWith('..') || path.isAbsolute(rel) ? f : rel };
      });
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: pathWithoutNodeBins(process.env.PATH),
        JUPYTER_DATA_DIR: path.join(tmp, 'jupyter-data'),
        JUPYTER_CONFIG_DIR: path.join(tmp, 'jupyter-config'),
        JUPYTER_RUNTIME_DIR: path.join(tmp, 'jupyter-runtime'),
        PYDEVD_DISABLE_FILE_VALIDATION: '1',
      };
      if (results) env.CKD_RESULTS = path.resolve(results);
      delete env.CKD_STATIC_FIGURES; // interactive figures, as a user gets them
      try {
        server = await startServer(root, env, path.join(work, 'notebooks'), tmp);
      } catch (e) {
        fail(`notebook server: ${(e as Error).message}`);
      }
      if (server) {
        log(`classic notebook server on ${server.base}${results ? `, CKD_RESULTS=${env.CKD_RESULTS}` : ''}`);
        for (const { copy, name } of copies) await runNotebook(browser, server, copy, name, timeoutS);
      }
    }
    if (report && results) {
      const file = path.resolve(results, 'report.html');
      if (!fs.existsSync(file)) fail(`${file}: missing (run ckd reproduce --out ${results})`);
      else await checkReport(browser, file);
    }
  } catch (e) {
    fail(`unexpected: ${(e as Error).stack ?? e}`);
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    if (server) await stopServer(server);
    keep = failures.length > 0 && server !== undefined;
    if (keep) log(`server log kept: ${server!.logFile}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    log(`${failures.length} failure(s) (${seconds(T0)})`);
    return 1;
  }
  log(`passed (${seconds(T0)})`);
  return 0;
}

main(process.argv.slice(2)).then(code => process.exit(code), e => {
  process.stderr.write(`browser check: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});


import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CellState, Notebook, errorLine, errorMessage, expectedFigures, notebookProblems, withoutFunctionBodies } from '../scripts/browser/expect';

const ROOT = path.resolve(__dirname, '..', '..');

function notebook(name: string): Notebook {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'notebooks', name), 'utf8'));
}

/** The state of a passing run: every code cell executed, the expected figures drawn. */
function passing(nb: Notebook): CellState[] {
  const figs = expectedFigures(nb);
  return nb.cells.map((c, index) => ({
    index, cellType: c.cell_type, executed: c.cell_type === 'code', running: false,
    status: c.cell_type === 'code' ? 'ok' : undefined, outputs: [], drawn: figs.get(index) ?? 0, undrawn: [],
  }));
}

describe('browser check: what a notebook run must show', () => {
  it('finds the figure cells of the committed notebooks (calls, and committed figure outputs)', () => {
    const figureCells = (name: string) => [...expectedFigures(notebook(name)).entries()].map(([i, n]) => `${i + 1}x${n}`);
    assert.deepStrictEqual(figureCells('00-smoke.ipynb'), ['12x1', '13x1']);
    assert.deepStrictEqual(figureCells('01-pilot-study.ipynb'), ['10x2']);
    assert.deepStrictEqual(figureCells('02-gradient-analysis.ipynb'), ['7x1', '9x1', '11x1', '13x1']);
    for (const n of ['03-main-table.ipynb', '04-unimodal-table.ipynb', '05-ablation.ipynb']) assert.deepStrictEqual(figureCells(n), []);
  });

  it('a definition of show() is not a figure; its call is', () => {
    const def = 'async function show(spec) {\n  if (!spec) { return; }\n  tslab.display.png(o.png);\n}\nconsole.log(1);';
    assert.strictEqual(withoutFunctionBodies(def).includes('display.png'), false);
    assert.ok(withoutFunctionBodies(def).includes('console.log(1)'));
    const nb: Notebook = { cells: [{ cell_type: 'code', source: def }, { cell_type: 'code', source: 'await show(g.norms);' }] };
    assert.deepStrictEqual([...expectedFigures(nb).keys()], [1]);
  });

  it('a passing run has no problems', () => {
    for (const n of fs.readdirSync(path.join(ROOT, 'notebooks')).filter(f => f.endsWith('.ipynb'))) {
      const nb = notebook(n);
      assert.deepStrictEqual(notebookProblems(n, nb, passing(nb)), [], n);
    }
  });

  it('a tslab error (reply status error, the message on stderr) is one line naming the cell', () => {
    const nb = notebook('02-gradient-analysis.ipynb');
    const states = passing(nb);
    const i = [...expectedFigures(nb).keys()][0];
    states[i] = { ...states[i], status: 'error', drawn: 0, outputs: [{ output_type: 'stream', name: 'stderr', text: 'evalmachine.<anonymous>:5\nthrow new Error(\'boom\');\n^\n\nError: boom\n    at evalmachine.<anonymous>:5:7\n' }] };
    for (const s of states.slice(i + 1)) { s.executed = false; s.status = s.cellType === 'code' ? 'abort' : undefined; s.drawn = 0; }
    const p = notebookProblems('02.ipynb', nb, states);
    assert.strictEqual(p[0], `02.ipynb cell ${i + 1} [const model = preset.probeModels[0];]: error: Error: boom`);
    assert.match(p[1], /^02\.ipynb: 3 later code cell\(s\) did not run after the error in cell 7 /);
    assert.strictEqual(p.length, 2);
  });

  it('error lines: TypeScript diagnostics, error outputs of other kernels', () => {
    assert.strictEqual(errorLine("1:7 - Type 'string' is not assignable to type 'number'.\n"), "1:7 - Type 'string' is not assignable to type 'number'.");
    assert.strictEqual(errorMessage([{ output_type: 'error', ename: 'ValueError', evalue: 'bad', traceback: [] }]), 'ValueError: bad');
    assert.strictEqual(errorMessage([{ output_type: 'stream', name: 'stderr', text: 'a warning' }], 'ok'), undefined);
    assert.strictEqual(errorMessage([], 'error'), '(no message)');
  });

  it('a figure cell without a drawn figure fails, saying what the page shows', () => {
    const nb = notebook('01-pilot-study.ipynb');
    const states = passing(nb);
    states[9] = { ...states[9], drawn: 1, undrawn: ['plotly figure #f without svg: plotly.js is not loaded'] };
    assert.deepStrictEqual(notebookProblems('01.ipynb', nb, states),
      ['01.ipynb cell 10 [for (const model of preset.figure1Models) await show(figu...]: figure did not render (1 of 2 drawn; plotly figure #f without svg: plotly.js is not loaded)']);
  });

  it('cells that did not run or still run are named', () => {
    const nb = notebook('03-main-table.ipynb');
    const states = passing(nb);
    states[4] = { ...states[4], executed: false, status: undefined };
    states[6] = { ...states[6], executed: false, running: true, status: undefined };
    const p = notebookProblems('03.ipynb', nb, states);
    assert.deepStrictEqual(p.map(l => l.replace(/ \[.*\]/, '')), ['03.ipynb cell 5: did not run', '03.ipynb cell 7: still running']);
  });
});

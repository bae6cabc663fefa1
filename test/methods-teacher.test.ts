import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, MODALITIES } from '../lib/data/dataset';
import { TripleSampler } from '../lib/data/samplers';
import { initEngine } from '../lib/engine/backend';
import { Rng } from '../lib/engine/random';
import { CkdError } from '../lib/errors';
import { tripleMargins } from '../lib/methods/margins';
import { Teacher, TeacherPair, disposeTeachers } from '../lib/methods/teacher';
import { loadTeacher, saveTeacher, teacherFiles } from '../lib/methods/teacher-store';
import { backboneFactory } from '../lib/models/registry';
import { synthesizeDataset } from '../lib/synth/synthesize';
import { assertClose } from './engine-check';
import { trainedTeachers } from './trained-teachers';
import { RunCellMeta } from '../lib/experiments/run-cell';

const saveBoth = (t: TeacherPair, dir: string) => MODALITIES.map(m => saveTeacher(t[m], dir));

describe('uni-modal teachers', function () {
  this.timeout(60000);
  let data: Dataset;
  let teachers: TeacherPair;
  let dir: string;
  before(async () => {
    await initEngine({ quiet: true });
    data = synthesizeDataset('tiny', 3);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-teachers-'));
    const r = await trainedTeachers('vbpr', data, { seed: 5, epochs: 3, lr: 5e-3, batchSize: 256, evalEvery: 3, patience: 10 });
    teachers = r.teachers;
    assert.deepStrictEqual(r.records.map(x => [x.config.mode, (x.meta as RunCellMeta).history.length]), [['visual-only', 3], ['text-only', 3]]);
    for (const m of MODALITIES) assert.strictEqual(teachers[m].modality, m);
  });
  after(() => {
    disposeTeachers(teachers);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const triples = () => {
    const b = new TripleSampler(data.train, data.numItems).ckdBatch(100, new Rng(1));
    const u = new TripleSampler(data.train, data.numItems).universal(300, new Rng(2));
    return [{ users: b.users, a: b.pos, b: b.neg }, { users: u.users, a: u.j, b: u.k }];
  };

  it('a teacher\'s margins are its backbone\'s margins under its own mask', () => {
    const model = backboneFactory('vbpr')(data, { seed: 8 });
    const t = Teacher.freeze(model, data, 'visual', { seed: 8 });
    for (const set of triples()) {
      const want = tripleMargins(model, data, 'visual', [set], false)[0];
      const got = t.margins(set);
      assertClose(got.dataSync(), want.dataSync(), 1e-5, 'margins');
      tf.dispose([want, got]);
    }
    t.dispose();
    model.dispose();
  });

  it('freezeAsync reads the same weights and builds the same tables as freeze', async () => {
    const model = backboneFactory('vbpr')(data, { seed: 9 });
    const a = Teacher.freeze(model, data, 'text', { seed: 9 });
    const b = await Teacher.freezeAsync(model, data, 'text', { seed: 9 });
    assert.deepStrictEqual(b.weights.map(w => w.name), a.weights.map(w => w.name));
    b.weights.forEach((w, i) => assert.deepStrictEqual(w.values, a.weights[i].values, w.name));
    const [set] = triples();
    const [ma, mb] = [a.margins(set), b.margins(set)];
    assert.deepStrictEqual(mb.dataSync(), ma.dataSync());
    tf.dispose([ma, mb]);
    a.dispose();
    b.dispose();
    model.dispose();
  });

  it('save and load round trip: identical weights and identical margins', () => {
    const files = saveBoth(teachers, dir);
    assert.deepStrictEqual(files, MODALITIES.map(m => teacherFiles(dir, m).manifest));
    const manifest = JSON.parse(fs.readFileSync(teacherFiles(dir, 'text').manifest, 'utf8'));
    assert.strictEqual(manifest.model, 'vbpr');
    assert.strictEqual(manifest.modality, 'text');
    assert.strictEqual(manifest.dataset.fingerprint, teachers.text.info.dataset.fingerprint);
    const loaded = Object.fromEntries(MODALITIES.map(m => [m, loadTeacher(dir, m, data, { model: 'vbpr' })])) as TeacherPair;
    try {
      for (const m of MODALITIES) {
        assert.deepStrictEqual(loaded[m].weights, teachers[m].weights, `${m} weights`);
        assert.deepStrictEqual(loaded[m].info, teachers[m].info, `${m} info`);
        for (const set of triples()) {
          const a = teachers[m].margins(set);
          const b = loaded[m].margins(set);
          assert.deepStrictEqual(b.dataSync(), a.dataSync(), `${m} margins`);
          tf.dispose([a, b]);
        }
      }
    } finally {
      disposeTeachers(loaded);
    }
  });

  it('refuses another data set (fingerprint), another model, a changed shape and missing files with clear errors', () => {
    saveBoth(teachers, dir);
    const other = synthesizeDataset('tiny', 4);
    assert.throws(() => loadTeacher(dir, 'text', other), (e: Error) => e instanceof CkdError
      && /teacher-text\.json: the teacher was trained on data set 'tiny' \(fingerprint [0-9a-f]{16}\), but the data set given has fingerprint [0-9a-f]{16}/.test(e.message));
    assert.throws(() => loadTeacher(dir, 'text', data, { model: 'bprmf' }), /the teacher is a 'vbpr' model, but the student is 'bprmf'/);
    assert.throws(() => loadTeacher(path.join(dir, 'nowhere'), 'visual', data), /no visual teacher in .*nowhere/);

    const changed = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-teachers-changed-'));
    try {
      saveBoth(teachers, changed);
      const f = teacherFiles(changed, 'visual');
      const m = JSON.parse(fs.readFileSync(f.manifest, 'utf8'));
      m.backbone.dim = 32;
      fs.writeFileSync(f.manifest, JSON.stringify(m));
      assert.throws(() => loadTeacher(changed, 'visual', data), /variable 'shared\/0' has shape \[150,64\], but model 'vbpr' on this data set needs \[150,32\]/);
      fs.writeFileSync(f.weights, Buffer.alloc(12));
      assert.throws(() => loadTeacher(changed, 'visual', data), /teacher-visual\.bin: 12 bytes, the manifest describes \d+/);
      fs.writeFileSync(f.manifest, '{ not json');
      assert.throws(() => loadTeacher(changed, 'visual', data), /not a readable teacher manifest/);
    } finally {
      fs.rmSync(changed, { recursive: true, force: true });
    }
  });

  it('keeps a sha256 of the weights: changed bytes are refused, a manifest without the hash (older folders) still loads', () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ckd-teachers-hash-'));
    try {
      saveBoth(teachers, d);
      const f = teacherFiles(d, 'text');
      const m = JSON.parse(fs.readFileSync(f.manifest, 'utf8'));
      const bytes = fs.readFileSync(f.weights);
      assert.match(m.sha256, /^[0-9a-f]{64}$/);
      assert.deepStrictEqual(fs.readdirSync(d).sort(), ['teacher-text.bin', 'teacher-text.json', 'teacher-visual.bin', 'teacher-visual.json'], 'no temporary files left');
      // One flipped bit: same size, different content.
      const flipped = Buffer.from(bytes);
      flipped[1001] ^= 0x10;
      fs.writeFileSync(f.weights, flipped);
      assert.throws(() => loadTeacher(d, 'text', data), (e: Error) => e instanceof CkdError &&
        /teacher-text\.bin: the teacher weights changed since they were saved \(sha256 [0-9a-f]{16}\.\.\., the manifest teacher-text\.json says [0-9a-f]{16}\.\.\.\); refusing to load them/.test(e.message));
      // A teacher saved before the hash was kept: no check, it loads as it is.
      fs.writeFileSync(f.weights, bytes);
      delete m.sha256;
      fs.writeFileSync(f.manifest, JSON.stringify(m, null, 2));
      const t = loadTeacher(d, 'text', data, { model: 'vbpr' });
      try {
        assert.deepStrictEqual(t.weights, teachers.text.weights);
      } finally {
        t.dispose();
      }
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

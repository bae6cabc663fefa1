import * as assert from 'assert';
import { CkdError } from '../lib/errors';
import { Rng } from '../lib/engine/random';
import { itemsOf, listsFromArrays, UserItemLists } from '../lib/data/dataset';
import { bprEpoch, sampleNegative, TripleSampler, universalTriples, usersWithItems } from '../lib/data/samplers';

const NUM_ITEMS = 50;

/** 40 users; user 0 holds 45 of 50 items (the dense path), user 7 has none, the rest a few. */
function trainLists(): UserItemLists {
  const per: number[][] = [];
  for (let u = 0; u < 40; u++) {
    if (u === 0) per.push(Array.from({ length: 45 }, (_, k) => (k * 3) % NUM_ITEMS));
    else if (u === 7) per.push([]);
    else per.push(Array.from({ length: 1 + (u % 6) }, (_, k) => (u * 11 + k * 17) % NUM_ITEMS));
  }
  return listsFromArrays(per, 40);
}

function inTrain(train: UserItemLists, u: number, i: number): boolean {
  return Array.from(itemsOf(train, u)).includes(i);
}

describe('data/samplers', () => {
  const train = trainLists();

  it('ckd epochs: n_train // B + 1 full batches of distinct train users; positives in train, negatives not', () => {
    const s = new TripleSampler(train, NUM_ITEMS);
    assert.strictEqual(s.trainUsers.length, 39);
    const batches = s.epoch(16, new Rng(1));
    assert.strictEqual(batches.length, Math.floor(train.items.length / 16) + 1);
    for (const b of batches) {
      assert.strictEqual(b.users.length, 16);
      assert.strictEqual(new Set(b.users).size, 16, 'users distinct within a batch');
      for (let k = 0; k < 16; k++) {
        assert.notStrictEqual(b.users[k], 7);
        assert.ok(inTrain(train, b.users[k], b.pos[k]));
        assert.ok(!inTrain(train, b.users[k], b.neg[k]), `negative ${b.neg[k]} of user ${b.users[k]} is a train item`);
        assert.ok(b.neg[k] >= 0 && b.neg[k] < NUM_ITEMS);
      }
    }
    // A batch larger than the number of train users draws with replacement.
    const big = s.ckdBatch(100, new Rng(2));
    assert.strictEqual(big.users.length, 100);
  });

  it('interactions epochs visit every train interaction exactly once', () => {
    const batches = bprEpoch(train, NUM_ITEMS, 32, new Rng(3), 'interactions');
    assert.strictEqual(batches.length, Math.ceil(train.items.length / 32));
    const seen: string[] = [];
    for (const b of batches) {
      for (let k = 0; k < b.users.length; k++) {
        seen.push(`${b.users[k]}:${b.pos[k]}`);
        assert.ok(!inTrain(train, b.users[k], b.neg[k]));
      }
    }
    const expected: string[] = [];
    for (let u = 0; u < 40; u++) for (const i of itemsOf(train, u)) expected.push(`${u}:${i}`);
    assert.deepStrictEqual(seen.slice().sort(), expected.sort());
  });

  it('same seed -> identical batches; different seed -> different', () => {
    for (const mode of ['ckd', 'interactions'] as const) {
      const a = bprEpoch(train, NUM_ITEMS, 16, new Rng('s'), mode);
      const b = bprEpoch(train, NUM_ITEMS, 16, new Rng('s'), mode);
      const c = bprEpoch(train, NUM_ITEMS, 16, new Rng('t'), mode);
      assert.deepStrictEqual(a, b);
      assert.notDeepStrictEqual(a, c);
    }
    const u1 = universalTriples(train, NUM_ITEMS, 500, new Rng(9));
    const u2 = universalTriples(train, NUM_ITEMS, 500, new Rng(9));
    assert.deepStrictEqual(u1, u2);
  });

  it('negatives are uniform over the complement, on both the rejection and the dense path', () => {
    const s = new TripleSampler(train, NUM_ITEMS);
    for (const u of [0, 5]) {
      const rng = new Rng(`neg${u}`);
      const allowed = NUM_ITEMS - itemsOf(train, u).length;
      const counts = new Map<number, number>();
      const draws = 400 * allowed;
      for (let t = 0; t < draws; t++) {
        const j = s.sampleNegative(u, rng);
        assert.ok(!inTrain(train, u, j));
        counts.set(j, (counts.get(j) ?? 0) + 1);
      }
      assert.strictEqual(counts.size, allowed, `user ${u}: every allowed item drawn`);
      for (const c of counts.values()) assert.ok(c > 300 && c < 500, `user ${u}: count ${c} far from 400`);
    }
  });

  it('sampleNegative works on raw sorted segments and refuses a user holding every item', () => {
    const items = Int32Array.from([0, 1, 2, 4]);
    const rng = new Rng(0);
    for (let t = 0; t < 50; t++) assert.strictEqual(sampleNegative(items, 0, 4, 5, rng), 3);
    assert.throws(() => sampleNegative(items, 0, 4, 4, rng, 12), (e: unknown) => e instanceof CkdError && /user 12 .* every one of the 4 items/.test((e as Error).message));
  });

  it('universal triples: train users (distinct when possible), uniform j and k over all items', () => {
    const t = universalTriples(train, NUM_ITEMS, 30, new Rng(4));
    assert.strictEqual(new Set(t.users).size, 30);
    const many = universalTriples(train, NUM_ITEMS, 5000, new Rng(5));
    assert.strictEqual(many.users.length, 5000);
    const trainUsers = new Set(usersWithItems(train));
    for (let k = 0; k < 5000; k++) {
      assert.ok(trainUsers.has(many.users[k]));
      assert.ok(many.j[k] >= 0 && many.j[k] < NUM_ITEMS && many.k[k] >= 0 && many.k[k] < NUM_ITEMS);
    }
    const jSeen = new Set(many.j);
    assert.strictEqual(jSeen.size, NUM_ITEMS, 'j covers all items, including train positives');
    const mean = many.k.reduce((a, b) => a + b, 0) / 5000;
    assert.ok(Math.abs(mean - (NUM_ITEMS - 1) / 2) < 1.5, `mean k ${mean}`);
  });

  it('rejects bad sizes and empty train data', () => {
    assert.throws(() => bprEpoch(train, NUM_ITEMS, 0, new Rng(1)), CkdError);
    assert.throws(() => new TripleSampler(listsFromArrays([[], []], 2), 5), CkdError);
  });

  it('a Baby-sized epoch samples quickly', () => {
    const rng = new Rng('baby');
    const per: number[][] = [];
    for (let u = 0; u < 19445; u++) per.push(Array.from({ length: 6 }, () => rng.int(7050)));
    const big = listsFromArrays(per, 19445);
    const t = Date.now();
    const batches = bprEpoch(big, 7050, 1024, new Rng(1));
    const ms = Date.now() - t;
    assert.strictEqual(batches.length, Math.floor(big.items.length / 1024) + 1);
    assert.ok(ms < 3000, `epoch took ${ms} ms`);
  });
});

import * as assert from 'assert';
import { Rng } from '../lib/engine/random';
import { itemsOf } from '../lib/data/dataset';
import { heldOutCounts, splitPerUser } from '../lib/data/split';

/** Users with 0..40 items (several users per size), item ids distinct per user. */
function population(): number[][] {
  const users: number[][] = [];
  for (let n = 0; n <= 40; n++) {
    for (let r = 0; r < 3; r++) users.push(Array.from({ length: n }, (_, k) => (k * 7 + r * 13 + n) % 1000));
  }
  return users;
}

describe('data/split', () => {
  it('held-out counts follow LATTICE build_data.py (int(n * 0.2); test first half, val the rest)', () => {
    const table: [number, number, number][] = [
      // n, test, val
      [0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 1, 1], [5, 1, 1], [9, 1, 1], [10, 1, 1], [14, 1, 1],
      [15, 1, 2], [19, 1, 2], [20, 2, 2], [25, 2, 3], [35, 3, 4], [100, 10, 10], [101, 10, 10],
    ];
    for (const [n, test, val] of table) {
      const c = heldOutCounts(n);
      assert.deepStrictEqual([c.test, c.val], [test, val], `n = ${n}`);
      assert.strictEqual(c.heldOut, test + val);
    }
  });

  it('splits every user into disjoint train/val/test covering the input, in the right sizes', () => {
    const users = population();
    const s = splitPerUser(users, new Rng(123));
    for (let u = 0; u < users.length; u++) {
      const tr = Array.from(itemsOf(s.train, u));
      const va = Array.from(itemsOf(s.val, u));
      const te = Array.from(itemsOf(s.test, u));
      const all = [...tr, ...va, ...te].sort((a, b) => a - b);
      assert.deepStrictEqual(all, [...users[u]].sort((a, b) => a - b), `user ${u}`);
      const c = heldOutCounts(users[u].length);
      assert.deepStrictEqual([te.length, va.length], [c.test, c.val], `user ${u}`);
      if (users[u].length >= 3) assert.ok(tr.length >= 1);
    }
  });

  it('overall proportions are close to 80/10/10 on 5-core-like data', () => {
    const rng = new Rng('pop');
    const users = Array.from({ length: 2000 }, () => {
      const n = 5 + Math.floor(-Math.log(1 - rng.next()) * 8);
      return Array.from({ length: n }, (_, k) => k);
    });
    const s = splitPerUser(users, new Rng(1));
    const total = users.reduce((a, l) => a + l.length, 0);
    const fr = (x: number) => x / total;
    // The authors' rule holds out at least 2 per user, so short users push val/test above 10%.
    assert.ok(fr(s.train.items.length) > 0.72 && fr(s.train.items.length) < 0.82, `train ${fr(s.train.items.length)}`);
    assert.ok(fr(s.val.items.length) > 0.09 && fr(s.val.items.length) < 0.16);
    assert.ok(fr(s.test.items.length) > 0.08 && fr(s.test.items.length) < 0.14);
  });

  it('is deterministic for a seed and differs across seeds; duplicates are dropped first', () => {
    const users = population();
    const a = splitPerUser(users, new Rng(5));
    const b = splitPerUser(users, new Rng(5));
    const c = splitPerUser(users, new Rng(6));
    assert.deepStrictEqual(Array.from(a.test.items), Array.from(b.test.items));
    assert.deepStrictEqual(Array.from(a.val.items), Array.from(b.val.items));
    assert.notDeepStrictEqual(Array.from(a.test.items), Array.from(c.test.items));
    const d = splitPerUser([[4, 4, 5, 6, 4]], new Rng(1)); // 3 distinct items
    assert.strictEqual(d.train.items.length + d.val.items.length + d.test.items.length, 3);
  });

  it('held-out positions are uniform (each position equally likely)', () => {
    const hits = new Array(10).fill(0);
    const rng = new Rng('uniform');
    for (let rep = 0; rep < 2000; rep++) {
      const s = splitPerUser([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]], rng);
      for (const it of s.test.items) hits[it]++;
      for (const it of s.val.items) hits[it]++;
    }
    for (const h of hits) assert.ok(h > 300 && h < 500, `hits ${hits}`); // expected 400
  });
});

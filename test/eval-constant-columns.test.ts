import * as assert from 'assert';
import { dropConstantItemColumns } from '../lib/eval/constant-columns';
import { rankTopK } from '../lib/eval/topk';
import { Rng } from '../lib/engine/random';

describe('eval: constant item columns are left out of the ranking', () => {
  it('drops exactly the constant columns, and the top lists do not change', () => {
    const rng = new Rng('const-cols');
    const numUsers = 40, numItems = 57, dim = 12;
    const constant = new Set([0, 5, 6, 11]);
    // Small integers: every score is exact in float32, so the top lists must be identical.
    const itemEmb = new Float32Array(numItems * dim);
    const colValue = Array.from({ length: dim }, () => rng.int(7) - 3);
    for (let i = 0; i < numItems; i++) for (let k = 0; k < dim; k++) itemEmb[i * dim + k] = constant.has(k) ? colValue[k] : rng.int(9) - 4;
    const userEmb = Float32Array.from({ length: numUsers * dim }, () => rng.int(9) - 4);
    const emb = { userEmb, itemEmb, dim };
    const slim = dropConstantItemColumns(emb);
    assert.strictEqual(slim.dim, dim - constant.size);
    assert.deepStrictEqual(Array.from(slim.itemEmb.subarray(0, slim.dim)), Array.from({ length: dim }, (_, k) => k).filter(k => !constant.has(k)).map(k => itemEmb[k]));
    const exclude = { indptr: new Int32Array(numUsers + 1), items: new Int32Array(0) };
    const users = Int32Array.from({ length: numUsers }, (_, u) => u);
    const full = rankTopK({ ...emb, exclude }, users, 10);
    const fast = rankTopK({ ...slim, exclude }, users, 10);
    assert.deepStrictEqual(Array.from(fast.items), Array.from(full.items));
  });

  it('returns the input when no column (or every column) is constant', () => {
    const emb = { userEmb: new Float32Array([1, 2]), itemEmb: new Float32Array([1, 2, 3, 4]), dim: 2 };
    assert.strictEqual(dropConstantItemColumns(emb), emb);
    const flat = { userEmb: new Float32Array([1, 2]), itemEmb: new Float32Array([1, 2, 1, 2]), dim: 2 };
    assert.strictEqual(dropConstantItemColumns(flat), flat);
  });
});

import { strict as assert } from 'assert';
import { csrFromEdges } from '../lib/engine/csr';

describe('engine: csrFromEdges', () => {
  it('rows are the targets, entries in edge order, values from the edge and the row counts', () => {
    // edges src -> dst: 2->0, 1->1, 0->0, 2->1, 1->0
    const m = csrFromEdges(3, 3, [0, 1, 0, 1, 0], [2, 1, 0, 2, 1], (e, count) => 10 * e + count(0));
    assert.deepEqual([...m.indptr], [0, 3, 5, 5]);
    assert.deepEqual([...m.indices], [2, 0, 1, 1, 2]);
    assert.deepEqual([...m.values], [3, 23, 43, 13, 33]);
    assert.equal(m.numRows, 3);
    assert.equal(m.numCols, 3);
  });

  it('an empty edge list gives empty rows', () => {
    const m = csrFromEdges(2, 4, [], [], () => 1);
    assert.deepEqual([...m.indptr], [0, 0, 0]);
    assert.equal(m.indices.length, 0);
  });
});

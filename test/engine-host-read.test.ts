import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../lib/engine/backend';
import { readScalars, readScalarsPacked, requireSyncReads, syncReadsAvailable } from '../lib/engine/host-read';

describe('host reads (lib/engine/host-read)', () => {
  before(() => initEngine({ quiet: true }));

  it('the CPU backends read synchronously', () => {
    assert.ok(syncReadsAvailable());
    assert.doesNotThrow(() => requireSyncReads('a test'));
  });

  for (const [name, read] of [['readScalars', readScalars], ['readScalarsPacked (the webgpu path)', readScalarsPacked]] as const) {
    it(`${name} gives each named scalar its exact value and leaves no tensor behind`, async () => {
      const a = tf.scalar(Math.PI);
      const b = tf.div(tf.scalar(1), tf.scalar(3)) as tf.Scalar;
      const before = tf.memory().numTensors;
      const got = await read({ a, b });
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(got, { a: a.dataSync()[0], b: b.dataSync()[0] });
      tf.dispose([a, b]);
    });
  }
});

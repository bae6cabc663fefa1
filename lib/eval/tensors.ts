import type * as tf from '@tensorflow/tfjs-core';
import { CkdError } from '../errors';
import { evaluateRanking, EvaluationOptions, EvaluationResult } from './evaluate';

export interface Embeddings {
  userEmb: Float32Array;
  itemEmb: Float32Array;
  dim: number;
}

/** Reads user and item representations (rank 2, float32, same width) out of any tfjs backend. */
export async function readEmbeddings(users: tf.Tensor2D, items: tf.Tensor2D): Promise<Embeddings> {
  if (users.rank !== 2 || items.rank !== 2) throw new CkdError(`evaluation: representations must be rank 2, got [${users.shape}] and [${items.shape}]`);
  if (users.shape[1] !== items.shape[1]) throw new CkdError(`evaluation: user width ${users.shape[1]} differs from item width ${items.shape[1]}`);
  if (users.dtype !== 'float32' || items.dtype !== 'float32') throw new CkdError(`evaluation: representations must be float32, got ${users.dtype} and ${items.dtype}`);
  const [userEmb, itemEmb] = await Promise.all([users.data<'float32'>(), items.data<'float32'>()]);
  return { userEmb, itemEmb, dim: users.shape[1] };
}

/** evaluateRanking with the representations given as tensors (left undisposed). */
export async function evaluateTensors(
  users: tf.Tensor2D, items: tf.Tensor2D, options: Omit<EvaluationOptions, 'userEmb' | 'itemEmb' | 'dim'>,
): Promise<EvaluationResult> {
  return evaluateRanking({ ...options, ...(await readEmbeddings(users, items)) });
}

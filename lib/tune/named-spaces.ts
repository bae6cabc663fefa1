/**
 * The search spaces `ckd tune --space NAME` ships: the grids the paper tunes over (learning rate {1e-4, 5e-4, 1e-3, 5e-3}, L2 {1e-5, 1e-4, 1e-3, 1e-2}, dropout
 * {0.0, 0.1, ..., 0.8} where the backbone has dropout, lambda_g {0.1, 0.5, 1, 5}, lambda_kd
 * {1e-3, 1e-2, 1e-1, 5e-1}), one dimension each, and paper-ckd-lambdas, CKD's two weights
 * together (16 configurations).
 * L2 and dropout are each model's own parameter (its declared role, lib/models/params.ts: VBPR's
 * reg, MMGCN's l2, GRCN's lambda, ...): the space is resolved for the model tuned. No backbone
 * here has dropout (docs/backbones.md), so paper-dropout is refused for each of them, naming why.
 */
import { CkdError } from '../errors';
import { backboneEntry } from '../models/registry';
import { ParamRole } from '../options/spec';

export interface NamedSpace {
  name: string;
  /** One line for help and docs. */
  summary: string;
  /** The space for a model and method, as a JSON-like object (space.ts checks it). */
  resolve(model: string, method: string): Record<string, unknown[]>;
}

export const PAPER_LR = [1e-4, 5e-4, 1e-3, 5e-3];
export const PAPER_L2 = [1e-5, 1e-4, 1e-3, 1e-2];
export const PAPER_DROPOUT = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
export const PAPER_LAMBDA_G = [0.1, 0.5, 1, 5];
export const PAPER_LAMBDA_KD = [1e-3, 1e-2, 1e-1, 5e-1];

/** The model's parameter with the role, e.g. VBPR's L2 weight 'reg'. */
function paramWithRole(model: string, role: ParamRole, space: string): string {
  const found = Object.entries(backboneEntry(model).params).find(([, s]) => s.role === role);
  if (!found) {
    const why = role === 'dropout' ? ' (no backbone of this package applies dropout: docs/backbones.md)' : '';
    throw new CkdError(`--space ${space}: model ${model.toLowerCase()} has no ${role === 'l2' ? 'L2' : 'dropout'} parameter${why}`);
  }
  return found[0];
}

function ckdOnly(method: string, space: string): void {
  if (method.toLowerCase() !== 'ckd') throw new CkdError(`--space ${space} tunes CKD's loss weights: use it with --method ckd (got --method ${method})`);
}

export const NAMED_SPACES: Record<string, NamedSpace> = {
  'paper-lr': {
    name: 'paper-lr', summary: `learning rate {${PAPER_LR.join(', ')}}`,
    resolve: () => ({ lr: PAPER_LR }),
  },
  'paper-l2': {
    name: 'paper-l2', summary: `the backbone's L2 weight {${PAPER_L2.join(', ')}} (VBPR and BPR-MF reg, MMGCN l2, GRCN and EgoGCN lambda, MGCN reg)`,
    resolve: model => ({ [`param.${paramWithRole(model, 'l2', 'paper-l2')}`]: PAPER_L2 }),
  },
  'paper-dropout': {
    name: 'paper-dropout', summary: `the backbone's dropout {${PAPER_DROPOUT.join(', ')}}, where it has one (none here does)`,
    resolve: model => ({ [`param.${paramWithRole(model, 'dropout', 'paper-dropout')}`]: PAPER_DROPOUT }),
  },
  'paper-lambda-g': {
    name: 'paper-lambda-g', summary: `CKD's lambda_g {${PAPER_LAMBDA_G.join(', ')}}`,
    resolve: (_m, method) => { ckdOnly(method, 'paper-lambda-g'); return { 'method.lambdaG': PAPER_LAMBDA_G }; },
  },
  'paper-lambda-kd': {
    name: 'paper-lambda-kd', summary: `CKD's lambda_kd {${PAPER_LAMBDA_KD.join(', ')}}`,
    resolve: (_m, method) => { ckdOnly(method, 'paper-lambda-kd'); return { 'method.lambdaKd': PAPER_LAMBDA_KD }; },
  },
  'paper-ckd-lambdas': {
    name: 'paper-ckd-lambdas', summary: 'CKD\'s lambda_kd x lambda_g, the two grids above together (16 configurations)',
    resolve: (_m, method) => { ckdOnly(method, 'paper-ckd-lambdas'); return { 'method.lambdaKd': PAPER_LAMBDA_KD, 'method.lambdaG': PAPER_LAMBDA_G }; },
  },
};

export const NAMED_SPACE_NAMES = Object.keys(NAMED_SPACES);

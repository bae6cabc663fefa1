/**
 * CKD, Counterfactual Knowledge Distillation (paper Section 3; docs/method.md), as a
 * TrainingMethod over any backbone:
 *
 *   L = L_BPR + L2 + lambda_kd * sum_m lambda_m * (lambda_g * L_GD^m + L_SD^m)
 *
 * Per step, for a BPR batch B:
 *  - L_BPR and L2 exactly as plain training (one forward with every modality);
 *  - per modality m, one more forward of the student with every other modality ablated
 *    (forward(mask = m)) gives the channel margins ds^m on B and, when the generic loss is on,
 *    on `universalCount` universal triples (u, j, k) drawn from ctx.rng (the authors draw 5,000
 *    per step: codes/utility/load_data.py kd_sample);
 *  - the frozen m teacher's margins dt^m come from its cached representations (teacher.ts);
 *  - L_SD^m = mean_B sd(dt^m, ds^m) with sd = hinge (default), kl or mse (losses.ts);
 *    L_GD^m = mean BCE(sigma(dt^m/tau), sigma(ds^m/tau)) over the universal triples;
 *  - lambda_m from the counterfactual re-weighting (reweight.ts): 'paper', 'reference-code' or
 *    'none', computed from the margins' values, hence constants.
 * With per-triple weights (reference-code) the m term is mean_B(lambda_m * (sd + lambda_g * L_GD^m)),
 * as in codes/train_kd.py, where the scalar generic loss is added to every triple's hinge.
 *
 * Ablations (paper Table 3): generic: false (w/o Gen.), reweight: 'none' (w/o re-weight),
 * sdLoss: 'kl' / 'mse' (repl. KL-divergence / MSE).
 *
 * History terms per epoch: bpr, reg, kd (= lambda_kd * sum_m ..., the part added to the total),
 * and the raw per-modality means sd_<m>, gd_<m>. diagnostics(): epoch means of lambda_<m>,
 * rho_<m>, gamma_<m>; `trace` holds every step's values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dataset, Modality, MODALITIES } from '../../data/dataset';
import { TripleSampler } from '../../data/samplers';
import { CkdError } from '../../errors';
import { datasetFingerprint } from '../../data/fingerprint';
import { Backbone, TripleBatch } from '../../models/backbone';
import { bprLoss, tripleScores } from '../../train/bpr';
import { StepContext, StepLoss, TrainingMethod } from '../../train/method';
import { withHostValues } from '../../nn/host-values';
import { TripleSet, batchTriples, marginsNeedAllItems, tripleMargins } from '../margins';
import { StepTrace } from '../step-trace';
import { TeacherPair } from '../teacher';
import { bool, choice, defaultsOf, int, num, resolveOptions, ValuesOf } from '../../options/spec';
import { BCE_FORMS, SD_LOSSES, genericLoss, specificLoss } from './losses';
import { ModalityWeights, REWEIGHTS, RHO_FLOOR, modalityWeights } from './reweight';

/**
 * CKD's options, declared once (lib/options/spec.ts): type, defaults, checks, CLI flags and help
 * all derive from this.
 */
export const CKD_OPTION_SPECS = {
  /** The CKD code's default 0.01. */
  lambdaKd: num(0.01, 'weight of the distillation loss (lambda_kd)', { min: 0 }),
  lambdaG: num(5, 'weight of the generic loss (lambda_g)', { min: 0 }),
  tau: num(0.1, 'temperature of the generic (and KL) loss', { min: 0, minOpen: true }),
  /** 5,000 as the authors' code. */
  universalCount: int(5000, 'universal triples per step for the generic loss', { min: 1 }),
  reweight: choice(REWEIGHTS, 'paper', 'counterfactual re-weighting: paper (Eqs. 15-18), reference-code, none (ablation)'),
  generic: bool(true, 'generic distillation', 'Table 3\'s w/o Gen. ablation'),
  sdLoss: choice(SD_LOSSES, 'hinge', 'specific distillation loss: hinge (paper), kl or mse (ablations)'),
  bce: choice(BCE_FORMS, 'exact', 'generic BCE: exact (Eq. 12) or the authors\' 1e-8 form'),
  rhoFloor: num(RHO_FLOOR, 'floor of rho in the paper\'s re-weighting', { min: 0 }),
  /**
   * Where the step's triples reach at least half the items, have the trainer project each
   * modality's features for every item once per step and every pass gather from that
   * (readsEveryItem; default true): the same values, less work, but W's gradient is then summed
   * over items instead of batch rows, so for VBPR and DeepStyle lambda_kd = 0 matches plain
   * training to float rounding, not bit for bit (false restores that).
   */
  shareProjections: bool(true, 'sharing one feature projection between the passes of a step',
    'then lambda_kd = 0 gives plain training\'s bits on VBPR and DeepStyle'),
  /**
   * Compute a late-fusion backbone's kept branch once per step for all the passes that keep it
   * (MMGCN, GRCN; lib/nn/same-in-every-pass.ts). Same values, less work, but the branch's
   * gradient is summed in another order, so results differ from the default in float rounding:
   * off by default, so cells trained without it keep their bits.
   */
  reuseKeptBranches: bool(false, 'computing a late-fusion backbone\'s kept branch once per step for every pass (MMGCN, GRCN)',
    'same values, float rounding differs from the default'),
} as const;

export type CkdOptions = ValuesOf<typeof CKD_OPTION_SPECS>;

export const CKD_DEFAULTS: Readonly<CkdOptions> = defaultsOf(CKD_OPTION_SPECS);

/** Defaults filled in and every value checked. */
export function ckdOptions(o: Partial<CkdOptions> = {}): CkdOptions {
  return resolveOptions('CKD option', CKD_OPTION_SPECS, o);
}

function checkMultimodal(ctx: StepContext): void {
  if (ctx.mask !== 'all') throw new CkdError(`CKD trains a multimodal student (mode multimodal), not a ${ctx.mask}-only model`);
}

/** What a CKD step's forward produced: the loss's inputs and the margins its re-weighting reads. */
interface CkdForward {
  bpr: tf.Scalar;
  reg: tf.Scalar;
  universal: TripleSet | undefined;
  student: Record<Modality, tf.Tensor1D[]>;
  teacherB: Record<Modality, tf.Tensor1D>;
  reweightMargins: { all: tf.Tensor1D; student: Record<Modality, tf.Tensor1D>; teacher: Record<Modality, tf.Tensor1D> };
}

export class CkdMethod implements TrainingMethod {
  readonly name = 'ckd';
  readonly options: CkdOptions;
  readonly teachers: TeacherPair;
  /** Every step's lambda_m, rho_m and gamma_m. */
  readonly trace = new StepTrace();
  private readonly data: Dataset;
  private readonly sampler: TripleSampler;

  /** The teachers stay the caller's (dispose them after training). */
  constructor(_model: Backbone, data: Dataset, teachers: TeacherPair | undefined, options: Partial<CkdOptions> = {}) {
    this.options = ckdOptions(options);
    if (!teachers) throw new CkdError('CKD needs a teacher per modality: train their cells first (the cell runner does: lib/experiments/run-cell.ts) or load them (loadTeacher)');
    const fingerprint = datasetFingerprint(data);
    for (const m of MODALITIES) {
      const t = teachers[m];
      if (!t) throw new CkdError(`CKD needs a ${m} teacher`);
      if (t.modality !== m) throw new CkdError(`the teacher given for ${m} is the ${t.modality} teacher`);
      t.checkData(data, fingerprint);
    }
    this.teachers = teachers;
    this.data = data;
    this.sampler = new TripleSampler(data.train, data.numItems);
  }

  /**
   * The forward passes, then the modality weights from the margins' values (read to the host:
   * at once on wasm and cpu, awaited on webgpu), then the loss.
   */
  loss(batch: TripleBatch, ctx: StepContext): StepLoss | Promise<StepLoss> {
    checkMultimodal(ctx);
    const f = this.forward(batch, ctx);
    const m = f.reweightMargins;
    const margins = { all: m.all, sv: m.student.visual, st: m.student.text, tv: m.teacher.visual, tt: m.teacher.text };
    return withHostValues(margins, v => this.finish(f, ctx, modalityWeights(this.options.reweight, {
      all: v.all, student: { visual: v.sv, text: v.st }, teacher: { visual: v.tv, text: v.tt },
    }, this.options.rhoFloor)));
  }

  /** The universal triples with the batch reach half the items or more (tripleMargins then computes every item). */
  readsEveryItem(batch: TripleBatch): boolean {
    const triples = batch.users.length + (this.options.generic ? this.options.universalCount : 0);
    return this.options.shareProjections && marginsNeedAllItems(this.data, triples);
  }

  /** Whether the step's passes share the kept branches of a late-fusion backbone (the trainer asks). */
  reusesKeptBranches(): boolean {
    return this.options.reuseKeptBranches;
  }

  /** The student's and teachers' forward for a step: BPR, regularisation, and every margin the loss needs. */
  private forward(batch: TripleBatch, ctx: StepContext): CkdForward {
    const o = this.options;
    const { pos, neg, reps } = tripleScores(ctx.model, ctx.mask, batch, true);
    const bpr = bprLoss(pos, neg);
    const reg = ctx.model.regularization(batch, reps);

    const onBatch = batchTriples(batch);
    const sets: TripleSet[] = [onBatch];
    let universal: TripleSet | undefined;
    if (o.generic) {
      const u = this.sampler.universal(o.universalCount, ctx.rng);
      universal = { users: u.users, a: u.j, b: u.k };
      sets.push(universal);
    }
    const student = {} as Record<Modality, tf.Tensor1D[]>;
    const teacherB = {} as Record<Modality, tf.Tensor1D>;
    for (const m of MODALITIES) {
      student[m] = tripleMargins(ctx.model, this.data, m, sets, true);
      teacherB[m] = this.teachers[m].margins(onBatch);
    }
    const reweightMargins = {
      all: tf.sub(pos, neg) as tf.Tensor1D,
      student: { visual: student.visual[0], text: student.text[0] },
      teacher: { visual: teacherB.visual, text: teacherB.text },
    };
    return { bpr, reg, universal, student, teacherB, reweightMargins };
  }

  /** The step's loss from its forward and the modality weights read from its margins. */
  private finish(f: CkdForward, ctx: StepContext, w: ModalityWeights): StepLoss {
    const o = this.options;
    const { bpr, reg, universal, student, teacherB } = f;
    const terms: Record<string, tf.Scalar> = { bpr, reg };
    let kd: tf.Scalar = tf.scalar(0);
    for (const m of MODALITIES) {
      const sd = specificLoss(o.sdLoss, teacherB[m], student[m][0], o.tau);
      const lam = w.lambda[m];
      const sdMean = tf.mean(sd) as tf.Scalar;
      let term = (typeof lam === 'number' ? tf.mul(sdMean, lam) : tf.mean(tf.mul(sd, tf.tensor1d(lam)))) as tf.Scalar;
      terms[`sd_${m}`] = sdMean;
      if (universal) {
        const gd = genericLoss(this.teachers[m].margins(universal), student[m][1], o.tau, o.bce);
        terms[`gd_${m}`] = gd;
        term = tf.add(term, tf.mul(gd, o.lambdaG * w.lambdaMean[m]));
      }
      kd = tf.add(kd, term);
    }
    const weightedKd = tf.mul(kd, o.lambdaKd) as tf.Scalar;
    terms.kd = weightedKd;

    const values: Record<string, number> = {};
    for (const m of MODALITIES) {
      values[`lambda_${m}`] = w.lambdaMean[m];
      values[`rho_${m}`] = w.rho[m];
      values[`gamma_${m}`] = w.gamma[m];
    }
    this.trace.record(ctx.epoch, ctx.step, values);
    return { total: tf.add(tf.add(bpr, reg), weightedKd) as tf.Scalar, terms };
  }

  /** Epoch means of lambda_<m>, rho_<m>, gamma_<m> since the last call. */
  diagnostics(): Record<string, number> {
    return this.trace.takeMeans();
  }

  dispose(): void {
    // Nothing of its own on the backend: the teachers belong to the caller.
  }
}

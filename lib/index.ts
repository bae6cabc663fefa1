/**
 * The package's public API: what a notebook, a script or another package imports
 * (`require('ckd-repro')`, or `import ... from '<checkout>/dist/lib'`). Everything else under lib/
 * is internal and may move. The layers (docs/layout.md): data, models, methods, training,
 * evaluation, and the experiments built on run cells.
 */

// Engine: choose and start the tfjs backend (wasm by default), once per process.
export { initEngine, currentBackend } from './engine/backend';
export type { BackendName, EngineOptions } from './engine/backend';
export { Rng } from './engine/random';

// Data: load a data folder, or generate the embedded data set.
export { loadDataset, writeDataset, convertDataset, detectLayout } from './data/loaders';
export type { Layout, LoadOptions } from './data/loaders';
export { MODALITIES, SPLITS, itemsOf, interactionCount } from './data/dataset';
export type { Dataset, Modality, FeatureMatrix, UserItemLists, SplitName } from './data/dataset';
export { datasetFingerprint } from './data/fingerprint';
export { synthesizeDataset } from './synth/synthesize';
export { PRESETS, PRESET_NAMES, presetConfig } from './synth/presets';
export type { SynthConfig, PresetName } from './synth/presets';

// Models: six backbones and BPR-MF behind one ablation-aware interface, forward(mask).
export { BACKBONES, backboneEntry, backboneFactory } from './models/registry';
export { MASKS, TRAIN_MODES, maskOfMode, keeps } from './models/backbone';
export type { Backbone, BackboneOptions, BackboneFactory, ModalityMask, TrainMode, Representations, TripleBatch, ParameterGroups } from './models/backbone';

// Methods: plain, CKD, Gradient Blending, OGM-GE; teachers.
export { METHODS, METHOD_NAMES, createMethod, checkMethodOptions } from './methods/registry';
export type { MethodName, MethodOptions } from './methods/registry';
export { CKD_DEFAULTS, CkdMethod } from './methods/ckd/method';
export type { CkdOptions } from './methods/ckd/method';
export { Teacher, disposeTeachers } from './methods/teacher';
export type { TeacherPair } from './methods/teacher';
export { saveTeacher, loadTeacher } from './methods/teacher-store';

// Training and evaluation.
export { trainModel, TRAIN_DEFAULTS } from './train/trainer';
export type { TrainOptions, TrainResult, EpochRecord } from './train/trainer';
export type { TrainingMethod, StepLoss, StepContext } from './train/method';
export { evaluateRanking } from './eval/evaluate';
export type { EvaluationResult } from './eval/evaluate';

// Experiments: run cells (one run path, one record shape), the resumable store, reproduction.
export { makeRunCell, runOrReuseCell, trainCell, teacherCells, cellLabel, cellConverged } from './experiments/run-cell';
export type { RunCell, RunCellResult, RunRecord, RunStore, RunCellOptions } from './experiments/run-cell';
export { ResultStore, configKey } from './experiments/result-store';
export { runPreset, reproductionTables, writeReproductionReport } from './experiments/reproduce';
export { runTune } from './tune/run';
export { CkdError } from './errors';

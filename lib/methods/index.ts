/** What wraps a backbone during training: teachers, CKD, GB, OGM-GE, and their registry. */
export * from './margins';
export * from './step-trace';
export * from './teacher';
export * from './teacher-store';
export * from './ckd/losses';
export * from './ckd/reweight';
export * from './ckd/method';
export * from './gb/holdout';
export * from './gb/ogr';
export * from './gb/method';
export * from './ogm';
export * from './registry';

/** lib/data: files -> validated Dataset -> samplers and graphs. */
export * from './dataset';
export * from './npy';
export * from './features';
export * from './assemble';
export * from './lattice';
export * from './mmrec';
export * from './loaders';
export * from './describe';
export * from './split';
export * from './samplers';
export * from './graphs';
export * from './knn';
export * from './fingerprint';

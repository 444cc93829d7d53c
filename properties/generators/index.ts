// Trace generators: the basic generator (a small world, arbitrary events), the checker's world
// (setup phase and world-aware random events) and the driver that runs generated events as the
// threads' code would.

export * from './basic';
export * from './world';
export * from './events';
export * from './driver';
export * from './recordable';

// Types for `require('atomicfs')`: the same as for `import`, as the module is the same
// one (cjs/index.cjs requires the ES module itself).
export * from '../dist/src/index.js';

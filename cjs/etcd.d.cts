// Types for `require('atomicfs/etcd')`: the same as for `import` (cjs/etcd.cjs requires
// the ES module itself).
export * from '../dist/src/etcd/index.js';

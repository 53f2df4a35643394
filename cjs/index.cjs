'use strict';
// `require('atomicfs')`. atomicfs is an ES module; Node 20.19+ and 22.12+ can require an
// ES module, so this loads the very same module that `import` does (one copy, one state).
// On a Node that cannot, the error says what to do instead of Node's generic one.
try {
  module.exports = require('../dist/src/index.js');
} catch (err) {
  if (err && (err.code === 'ERR_REQUIRE_ESM' || err.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
    throw Object.assign(
      new Error(
        `atomicfs is an ES module, and this Node (${process.version}) cannot require() one: ` +
          "use `await import('atomicfs')`, or Node 20.19+ or 22.12+, where require('atomicfs') works.",
        { cause: err },
      ),
      { code: 'ERR_REQUIRE_ESM' },
    );
  }
  throw err;
}

/**
 * The runner's fork and join (src/disk/dual.ts), driven both ways: a step whose outcome is
 * known at once is joined without a turn of the event loop, a failure surfaces at the
 * join and nowhere else, and both runners give the same results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fork, join, runAsync, runSync, settle, step, type Dual, type Forms } from '../src/disk/dual.js';

/** A step made at once both ways (as a call made on this thread is): its argument, or its error. */
const AT_ONCE: Forms<number, number | Error> = {
  sync: (v) => {
    if (v instanceof Error) throw v;
    return v;
  },
  async: (v) => {
    if (v instanceof Error) throw v;
    return v;
  },
};

/** A step that waits, driven asynchronously: its argument after `ms`, or its error. */
const LATER: Forms<number, number | Error, number> = {
  sync: (v) => {
    if (v instanceof Error) throw v;
    return v;
  },
  async: async (v, ms) => {
    await sleep(ms);
    if (v instanceof Error) throw v;
    return v;
  },
};

function* forkAndJoin(seen: string[]): Dual<number> {
  const now = yield* fork(step(AT_ONCE, 1));
  const later = yield* fork(step(LATER, 2, 5));
  const joined = yield* join(now);
  seen.push('joined the step made at once');
  return joined + (yield* join(later));
}

test('a forked step made at once is joined without waiting; one that waits is joined once done; both runners agree', async () => {
  const seen: string[] = [];
  const running = runAsync(forkAndJoin(seen));
  // Still inside runAsync's synchronous part: nothing had to be waited for yet.
  assert.deepEqual(seen, ['joined the step made at once']);
  assert.equal(await running, 3);
  assert.equal(runSync(forkAndJoin([])), 3);
});

function* failingFork(error: Error, made: string[]): Dual<string> {
  const task = yield* fork(step(AT_ONCE, error));
  made.push('forked');
  const outcome = yield* settle(task);
  return outcome.ok ? 'no failure' : (outcome.error as Error).message;
}

test('a forked step that throws at once fails at its join, not at the fork, both ways', async () => {
  const made: string[] = [];
  assert.equal(await runAsync(failingFork(new Error('boom'), made)), 'boom');
  assert.equal(runSync(failingFork(new Error('bang'), made)), 'bang');
  assert.deepEqual(made, ['forked', 'forked']);
});

function* joinedAfterItFailed(): Dual<string> {
  const task = yield* fork(step(LATER, new Error('late failure'), 1));
  // The task fails while this one waits; it is joined only afterwards.
  yield* step(LATER, 0, 20);
  try {
    yield* join(task);
    return 'no failure';
  } catch (err) {
    return (err as Error).message;
  }
}

test('a forked step that fails before it is joined is not an unhandled rejection, and fails at its join', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    assert.equal(await runAsync(joinedAfterItFailed()), 'late failure');
    await sleep(10);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

function* joinTwice(): Dual<number[]> {
  const task = yield* fork(step(LATER, 7, 1));
  const first = yield* join(task);
  yield* step(LATER, 0, 5);
  // Settled by now: the outcome is taken as it was.
  return [first, yield* join(task)];
}

test('a task joined again after it settled gives the same outcome', async () => {
  assert.deepEqual(await runAsync(joinTwice()), [7, 7]);
  assert.deepEqual(runSync(joinTwice()), [7, 7]);
});

/**
 * One protocol, two runners. Each protocol (the single-file write, the commit, recovery,
 * the lock) is written once, as a generator function that yields the steps it takes on
 * the disk; `runAsync` runs it with the disk's asynchronous calls and `runSync` with
 * their synchronous twins. So `writeFileSync` and `writeFile` cannot drift apart: they
 * are the same code, driven two ways.
 *
 * This is gensync's idea (Babel runs its configuration loading both ways with it), with
 * one thing gensync lacks: `fork`/`join`. The asynchronous path overlaps calls (the
 * temporary file is created while the target is resolved, a transaction stages its files
 * in parallel); written as `fork`, the same lines run one after the other when driven
 * synchronously, and together when driven asynchronously.
 *
 * A step has two forms (`Forms`, or the two functions given to `call`). It is taken where
 * it stands, by the protocol that delegates to it (OneStep): driven synchronously, its
 * synchronous form; driven asynchronously, its asynchronous form, and only an outcome that
 * must be waited for (a promise) is yielded, up to `runAsync`.
 */

/** What a protocol yields: the outcome of a step started asynchronously, for `runAsync` to wait for. */
export type Waiting = PromiseLike<unknown>;

/**
 * A protocol (or a part of one): run it with `runSync` or `runAsync`, or `yield*` it from
 * another. Generator functions are protocols; so is a single step made by `call`.
 */
export interface Dual<T> extends Iterator<Waiting, T, unknown> {
  [Symbol.iterator](): Dual<T>;
  throw(err?: unknown): IteratorResult<Waiting, T>;
}

/**
 * Whether `runSync` is the runner driving the protocol code that runs now. Set by each
 * runner around its own calls into a protocol (JavaScript runs one of them at a time), so a
 * protocol started asynchronously from within a synchronous run, or the other way round,
 * sees its own runner.
 */
let drivenSync = false;

/**
 * The two forms of a kind of step, taking the step's arguments: made once per kind (every
 * disk call in io.ts), so that taking a step allocates one object and no functions.
 */
export interface Forms<T, A = undefined, B = undefined, C = undefined, D = undefined> {
  sync(a: A, b: B, c: C, d: D): T;
  async(a: A, b: B, c: C, d: D): Promise<T> | T;
}

/**
 * One step as a protocol of its own: it yields the step once and returns what it was
 * given back. A plain object rather than a generator: every disk call is one, and a
 * generator would cost an allocation and a level of delegation more on each.
 *
 * Driven synchronously, the step is taken where it stands: its value (or its error)
 * comes back at the `yield*` at once, instead of travelling up through every protocol
 * that delegates to this one to `runSync` and back down. The calls made, and their order,
 * are the same.
 */
class OneStep<T> implements Dual<T> {
  // Declared, and set in the constructor only: a step is made for every disk call, and
  // class fields would add an initializer call and a definition per field to each.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each kind types its own arguments (Forms)
  declare private forms: Forms<T, any, any, any, any> | undefined;
  declare private readonly a: unknown;
  declare private readonly b: unknown;
  declare private readonly c: unknown;
  declare private readonly d: unknown;

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  constructor(forms: Forms<T, any, any, any, any>, a: unknown, b: unknown, c: unknown, d: unknown) {
    this.forms = forms;
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  [Symbol.iterator](): Dual<T> {
    return this;
  }

  next(value?: unknown): IteratorResult<Waiting, T> {
    const forms = this.forms;
    // Taken already: resumed by `runAsync` with the outcome it waited for.
    if (forms === undefined) return { value: value as T, done: true };
    this.forms = undefined;
    if (drivenSync) return { value: forms.sync(this.a, this.b, this.c, this.d), done: true };
    // Driven asynchronously, a step whose outcome is known at once (a fork, a folder opened
    // ahead) is taken here too; only one that must be waited for goes up to `runAsync`.
    const out = forms.async(this.a, this.b, this.c, this.d);
    if (!isThenable(out)) return { value: out, done: true };
    return { value: out, done: false };
  }

  /**
   * The step, not yet taken, started asynchronously on its own (a fork of one step): a
   * step whose outcome is known at once (a call made on this thread) is settled already.
   */
  started(): Task<T> {
    const forms = this.forms!;
    this.forms = undefined;
    let out: Promise<T> | T;
    try {
      out = forms.async(this.a, this.b, this.c, this.d);
    } catch (error) {
      return new Settled<T>({ ok: false, error });
    }
    return isThenable(out) ? new Running(Promise.resolve(out)) : new Settled({ ok: true, value: out });
  }

  /** The step failed: its error surfaces where the step was taken (`yield*`). */
  throw(err?: unknown): IteratorResult<Waiting, T> {
    throw err;
  }
}

/**
 * A step of kind `forms`, with its arguments. A protocol takes each step it makes at once
 * (`yield* step`, or as the protocol given to `fork` or `all`), so driven synchronously the
 * step is taken right here, where it is made: its outcome is what `yield*` gets back,
 * and a step that returns nothing costs no object at all.
 */
export function step<T, A, B = undefined, C = undefined, D = undefined>(
  forms: Forms<T, A, B, C, D>,
  a: A,
  b?: B,
  c?: C,
  d?: D,
): Dual<T> {
  if (!drivenSync) return new OneStep<T>(forms, a, b, c, d);
  let value: T;
  try {
    value = forms.sync(a, b as B, c as C, d as D);
  } catch (error) {
    // Surfaces where the step is taken, as it would have from a step of its own.
    return new Done<T>({ ok: false, error });
  }
  return value === undefined ? (NOTHING_DONE as Dual<T>) : new Done({ ok: true, value });
}

/** The forms of a step made of two functions (`call`). */
const CALLED: Forms<unknown, () => unknown, () => unknown> = {
  sync: (sync) => sync(),
  async: (_sync, async) => async(),
};

/** A step made of its two forms. */
export function call<T>(sync: () => T, async: () => Promise<T> | T): Dual<T> {
  return step(CALLED as Forms<T, () => T, () => Promise<T> | T>, sync, async);
}

/** The two forms of a kind of step whose outcome is known at once either way (`atOnce`). */
export interface AtOnceForms<T, A = undefined, B = undefined, C = undefined, D = undefined> {
  sync(a: A, b: B, c: C, d: D): T;
  async(a: A, b: B, c: C, d: D): T;
}

/**
 * A step whose outcome is known at once either way (neither form waits), taken where it
 * stands: its outcome, with no step object to `yield*`. For a choice between the two ways
 * made where a plain call would stand (a write's place in line, taken at the call), at the
 * cost of a call rather than a step's object and dispatch.
 */
export function atOnce<T, A, B = undefined, C = undefined, D = undefined>(
  forms: AtOnceForms<T, A, B, C, D>,
  a: A,
  b?: B,
  c?: C,
  d?: D,
): T {
  return drivenSync ? forms.sync(a, b as B, c as C, d as D) : forms.async(a, b as B, c as C, d as D);
}

/** Whether `value` is a promise or any other thenable (an object or function with a `then` method). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Runs `protocol` with synchronous calls: returns its result or throws its error. */
export function runSync<T>(protocol: Dual<T>): T {
  const outer = drivenSync;
  drivenSync = true;
  try {
    return toEnd(protocol);
  } finally {
    drivenSync = outer;
  }
}

/** Runs `protocol`, driven synchronously, to its end: its steps are taken where they stand (OneStep). */
function toEnd<T>(protocol: Dual<T>): T {
  const r = protocol.next(undefined);
  if (r.done) return r.value;
  throw new Error('runSync: a protocol yielded an outcome to wait for, which a synchronous run cannot');
}

/**
 * Runs `protocol` with asynchronous calls. Its code up to its first asynchronous step runs
 * at once, as an async function's does up to its first `await`: a protocol may rely on
 * that (a write takes its place in line at the call).
 */
export function runAsync<T>(protocol: Dual<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // One pair of callbacks for every step of this run, not a new pair per step.
    const onValue = (v: unknown): void => drive(v, false);
    const onError = (e: unknown): void => drive(e, true);
    const drive = (value: unknown, failed: boolean): void => {
      let r: IteratorResult<Waiting, T>;
      const outer = drivenSync;
      drivenSync = false;
      try {
        r = failed ? protocol.throw(value) : protocol.next(value);
      } catch (err) {
        // A protocol's own error, passed on as it was thrown.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(err);
        return;
      } finally {
        drivenSync = outer;
      }
      // A step whose outcome was known at once was taken where it stands (OneStep).
      if (r.done) resolve(r.value);
      else r.value.then(onValue, onError);
    };
    drive(undefined, false);
  });
}

/** A protocol that takes no step: it returns the outcome it was given, or throws its error. */
class Done<T> implements Dual<T> {
  declare private readonly outcome: Outcome<T>;

  constructor(outcome: Outcome<T>) {
    this.outcome = outcome;
  }

  [Symbol.iterator](): Dual<T> {
    return this;
  }

  next(): IteratorResult<Waiting, T> {
    // Written out rather than through outcomeValue: taken at every step driven synchronously.
    const outcome = this.outcome;
    if (!outcome.ok) throw outcome.error;
    return { value: outcome.value, done: true };
  }

  throw(err?: unknown): IteratorResult<Waiting, T> {
    throw err;
  }
}

/** A protocol that takes no step and returns `value`. */
export function returning<T>(value: T): Dual<T> {
  return new Done({ ok: true, value });
}

/** A protocol that takes no step and returns nothing: the outcome of every step that returns nothing (taken synchronously, see step), and a no-op where a protocol is expected. */
export const NOTHING_DONE: Dual<undefined> = returning(undefined);

/** Whether the protocol is being run synchronously: for the few places where the two ways must differ. */
export function isSync(): Dual<boolean> {
  return call(
    () => true,
    () => false,
  );
}

/** How a protocol ended. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A protocol started by `fork`; `join` waits for it. */
export interface Task<T> {
  /** Started asynchronously and not made at once: its outcome. */
  readonly promise?: Promise<T>;
  /** Its outcome once known: at once when driven synchronously, or when made at once (OneStep.started). */
  readonly settled?: Outcome<T>;
}

/**
 * Starts `protocol` and goes on. Driven asynchronously, it runs alongside what follows;
 * driven synchronously, it runs to its end here. Its failure surfaces at `join`; a task
 * never joined fails silently, so fork only what is joined on every path that needs it.
 */
export function fork<T>(protocol: Dual<T>): Dual<Task<T>> {
  // Driven synchronously, the protocol runs to its end here, where a step would have been
  // taken (the fork is always `yield*`ed at once): a step and its dispatch less.
  if (drivenSync) return new Settled(outcomeOf(protocol));
  return step(FORK as Forms<Task<T>, Dual<T>>, protocol);
}

/** How `protocol`, driven synchronously already, ends when run to its end here. */
function outcomeOf<T>(protocol: Dual<T>): Outcome<T> {
  try {
    return { ok: true, value: toEnd(protocol) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A task already settled (a fork driven synchronously, or a step made at once), as the protocol that returns it. */
class Settled<T> implements Dual<Task<T>>, Task<T> {
  declare readonly settled: Outcome<T>;

  constructor(settled: Outcome<T>) {
    this.settled = settled;
  }

  [Symbol.iterator](): Dual<Task<T>> {
    return this;
  }

  next(): IteratorResult<Waiting, Task<T>> {
    return { value: this, done: true };
  }

  throw(err?: unknown): IteratorResult<Waiting, Task<T>> {
    throw err;
  }
}

const FORK: Forms<Task<unknown>, Dual<unknown>> = {
  // Not reached (see fork), unless a fork is made outside a runner and run synchronously.
  sync: (protocol) => new Settled(outcomeOf(protocol)),
  // A single step needs no run of its own: its asynchronous form is started here.
  async: (protocol) => (protocol instanceof OneStep ? protocol.started() : new Running(runAsync(protocol))),
};

/**
 * A task started asynchronously. It notes its outcome once settled, so that a join made
 * after that takes it at once rather than waiting a turn of the event loop for it.
 */
class Running<T> implements Task<T> {
  declare readonly promise: Promise<T>;
  declare settled: Outcome<T> | undefined;

  constructor(promise: Promise<T>) {
    this.promise = promise;
    this.settled = undefined;
    // Also marks a rejection as handled: the task is joined later, and must not count as
    // an unhandled rejection meanwhile.
    promise.then(
      (value) => {
        this.settled = { ok: true, value };
      },
      (error: unknown) => {
        this.settled = { ok: false, error };
      },
    );
  }
}

/** The result of a forked protocol, or its error (which surfaces here, where the task is joined). */
export function join<T>(task: Task<T>): Dual<T> {
  // Driven synchronously, a fork has run to its end already: its outcome, as it is.
  if (drivenSync && task.settled) return new Done(task.settled);
  return step(JOIN as Forms<T, Task<T>>, task);
}

const JOIN: Forms<unknown, Task<unknown>> = {
  // Driven synchronously, a settled task is joined by `join` itself.
  sync() {
    throw new Error('join: a task started asynchronously cannot be joined synchronously');
  },
  // A task settled already (made at once, or done since) is joined without a wait.
  async: (task) => (task.settled ? outcomeValue(task.settled) : task.promise!),
};

/** The value of `outcome`, or its error thrown. */
function outcomeValue<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** Joins `task`, and only reports whether it failed: its error is not thrown. */
export function* settle<T>(task: Task<T>): Dual<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: yield* join(task) };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Runs `protocols` together (asynchronously) or in order (synchronously); the results in
 * order. Like Promise.all, the first failure is thrown; driven asynchronously, the others
 * still run to their end.
 */
export function* all<T>(protocols: Iterable<Dual<T>>): Dual<T[]> {
  const list = [...protocols];
  if (list.length === 0) return [];
  if (list.length === 1) return [yield* list[0]!];
  return yield* call(
    () => list.map((p) => runSync(p)),
    () => Promise.all(list.map((p) => runAsync(p))),
  );
}

/** A small buffer to wait on: `Atomics.wait` blocks this thread without spinning the processor. */
let waitCell: Int32Array | undefined;

/** Blocks the thread for `ms` without using the processor (a synchronous caller's backoff). */
export function sleepSync(ms: number): void {
  if (ms <= 0) return;
  waitCell ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(waitCell, 0, 0, ms);
}

/** Waits `ms`: a timer driven asynchronously, a blocked thread driven synchronously. */
export function sleep(ms: number): Dual<void> {
  return call(
    () => sleepSync(ms),
    () => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  );
}

/**
 * Per-key lines in this process, first come first served: a caller takes its place when
 * it is made, and its turn comes once every earlier place in that key's line is done,
 * whatever their outcome. A line nobody waits in is forgotten. Appends to one audit log
 * use it.
 */
export interface Place {
  /** Resolves when every earlier place in the line is done. */
  turn: Promise<void>;
  /** Must be called exactly once, when this place's work ended either way. */
  done: () => void;
  /**
   * Nobody was in the line when the place was taken: `turn` is resolved. Known at once
   * (a place that is done leaves the line at once), so that a synchronous caller, which
   * cannot wait for a turn, can tell whether it would have to.
   */
  first: boolean;
}

interface Line {
  /** Resolves when every place taken so far is done. */
  tail: Promise<void>;
  /** Places taken and not yet done. */
  active: number;
}

export class KeyLines {
  private readonly lines = new Map<string, Line>();

  take(key: string): Place {
    const found = this.lines.get(key);
    const first = found === undefined;
    let finish!: () => void;
    const mine = new Promise<void>((resolve) => (finish = resolve));
    const turn = found ? found.tail : Promise.resolve();
    const line = found ?? { tail: mine, active: 0 };
    if (found) found.tail = found.tail.then(() => mine);
    line.active++;
    this.lines.set(key, line);
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      finish();
      if (--line.active === 0 && this.lines.get(key) === line) this.lines.delete(key);
    };
    return { turn, done, first };
  }
}

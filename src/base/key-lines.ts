/**
 * Per-key lines in this process, first come first served: a caller takes its place when
 * it is made, and its turn comes once every earlier place in that key's line is done,
 * whatever their outcome. A line nobody waits in is forgotten. Writes to one path
 * (file/path-order.ts) and appends to one audit log use it.
 */
export interface Place {
  /** Resolves when every earlier place in the line is done. */
  turn: Promise<void>;
  /** Must be called exactly once, when this place's work ended either way. */
  done: () => void;
  /** Nobody was in the line when the place was taken: `turn` is resolved. */
  first: boolean;
}

export class KeyLines {
  private readonly tails = new Map<string, Promise<void>>();

  take(key: string): Place {
    const pending = this.tails.get(key);
    const previous = pending ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return { turn: previous, done, first: pending === undefined };
  }
}

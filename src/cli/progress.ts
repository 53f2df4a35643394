/**
 * Progress display on a terminal: bytes, rate and time left for large writes and copies,
 * files, bytes and rate for `apply`. Drawn on stderr (stdout may carry --json) and only
 * when stderr is a terminal: off a terminal there is no bar and no escape code at all.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../index.js';
import { formatBytes, formatSeconds } from './units.js';

export interface ByteProgress {
  onProgress(progress: Progress): void;
  /** Removes the bar; safe to call more than once, and when no bar was drawn. */
  stop(): void;
}

export interface ApplyProgress {
  /** The onProgress callback for plan step `index`, which writes `label`. */
  forStep(index: number, label: string): (progress: Progress) => void;
  stop(): void;
}

type Stream = NodeJS.WriteStream;

const WIDTH = 24;

function bar(fraction: number): string {
  const full = Math.min(WIDTH, Math.max(0, Math.round(fraction * WIDTH)));
  return '#'.repeat(full) + '-'.repeat(WIDTH - full);
}

/** One line describing a byte transfer: label, bar, share, bytes, rate, time left. */
function describeBytes(label: string, bytes: number, total: number | undefined, startedAt: number): string {
  const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
  const rate = bytes / seconds;
  const speed = `${formatBytes(Math.round(rate))}/s`;
  if (total === undefined || total <= 0) return `${label} ${formatBytes(bytes)} ${speed}`;
  const pct = Math.floor((bytes / total) * 100);
  const eta = rate > 0 ? (total - bytes) / rate : Infinity;
  return `${label} [${bar(bytes / total)}] ${pct}% ${formatBytes(bytes)}/${formatBytes(total)} ${speed} ETA ${formatSeconds(eta)}`;
}

function newBar(stream: Stream, render: () => string): cliProgress.SingleBar {
  return new cliProgress.SingleBar({
    stream,
    format: () => render(),
    fps: 8,
    clearOnComplete: true,
    hideCursor: null,
    linewrap: true,
    // The command handles signals itself (or the library does, for apply): a listener
    // added here would keep the process alive on Ctrl-C.
    gracefulExit: false,
  });
}

const silentBytes: ByteProgress = { onProgress: () => undefined, stop: () => undefined };

/** `expected`: the total when the library cannot know it (a stream), as `--size` gives it. */
export function byteProgress(label: string, expected?: number, stream: Stream = process.stderr): ByteProgress {
  if (!stream.isTTY) return silentBytes;
  const startedAt = Date.now();
  let last: Progress = { bytes: 0, total: undefined };
  let drawn: cliProgress.SingleBar | undefined;
  return {
    onProgress(progress) {
      last = progress;
      if (!drawn) {
        drawn = newBar(stream, () => describeBytes(label, last.bytes, last.total ?? expected, startedAt));
        drawn.start(1, 0);
      }
      drawn.update(0);
    },
    stop() {
      drawn?.stop();
      drawn = undefined;
    },
  };
}

/**
 * `apply`: the transaction writes its staged files at commit, several at once; the bar
 * counts the files it has begun writing (of `files`, those that carry data), the bytes
 * so far and the rate, and names the file most recently advanced.
 */
export function applyProgress(files: number, stream: Stream = process.stderr): ApplyProgress {
  if (!stream.isTTY) return { forStep: () => () => undefined, stop: () => undefined };
  const startedAt = Date.now();
  const bytesOf = new Map<number, number>();
  let current = '';
  let drawn: cliProgress.SingleBar | undefined;
  const render = (): string => {
    let bytes = 0;
    for (const b of bytesOf.values()) bytes += b;
    const rate = bytes / Math.max((Date.now() - startedAt) / 1000, 0.001);
    return `apply [${bar(files > 0 ? bytesOf.size / files : 1)}] ${bytesOf.size}/${files} files ${formatBytes(bytes)} ${formatBytes(Math.round(rate))}/s ${current}`;
  };
  return {
    forStep(index, label) {
      return (p) => {
        bytesOf.set(index, p.bytes);
        current = label;
        if (!drawn) {
          drawn = newBar(stream, render);
          drawn.start(1, 0);
        }
        drawn.update(0);
      };
    },
    stop() {
      drawn?.stop();
      drawn = undefined;
    },
  };
}

/**
 * Listings made for people: one line per batch (a backup, an audit entry), its files
 * counted rather than printed, every line cut to the output's width (the terminal's, else
 * 120 columns), with the paths one per line under their batch only when asked (`--files`,
 * `show <id>`). `--json` is untouched by all this and keeps every field.
 */
import { InvalidArgumentError, type Command } from 'commander';

/** Width when stdout is not a terminal (a file, a pipe, a CI log). */
export const DEFAULT_WIDTH = 120;

export interface Changes {
  changed: string[];
  created: string[];
  deleted: string[];
}

export interface ListingFlags {
  width?: number;
  files?: boolean;
}

export function parseWidth(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a number of columns (0 for no limit), got "${text}"`);
  return n;
}

/** --width and --files, for the commands that list batches. */
export function addListingFlags(cmd: Command, files = true): Command {
  cmd.option(
    '--width <columns>',
    `cut lines to this width (default: the terminal's, else ${DEFAULT_WIDTH}; 0: no limit)`,
    parseWidth,
  );
  if (files) cmd.option('--files', 'list the paths of each batch under it (~ changed, + created, - deleted)');
  return cmd;
}

/** The width to fit lines in; Infinity for no limit. */
export function widthFor(flags: ListingFlags, stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  if (flags.width !== undefined) return flags.width === 0 ? Infinity : flags.width;
  if (stream.isTTY === true && typeof stream.columns === 'number' && stream.columns > 0) return stream.columns;
  return DEFAULT_WIDTH;
}

/**
 * Text from a file's name or a batch's name made safe for one terminal line: control
 * characters (a newline, an escape sequence) are shown as `?`, never sent to the terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** `text` cut to `width` characters, the cut marked with `…`. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 0) return '';
  return chars.slice(0, width - 1).join('') + '…';
}

function len(text: string): number {
  return [...text].length;
}

/**
 * An aligned table within `width`: the last column takes what the others leave and is cut
 * with `…`; should even the other columns not fit, every line is cut at `width`.
 */
export function fitTable(headers: readonly string[], rows: readonly (readonly string[])[], width: number): string[] {
  const cells = [headers, ...rows].map((r) => r.map(printable));
  const last = headers.length - 1;
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => len(r[i] ?? ''))));
  const fixed = widths.slice(0, last).reduce((n, w) => n + w + 2, 0);
  const room = Math.max(0, width - fixed);
  const lastWidth = Math.min(widths[last] ?? 0, room);
  const line = (r: readonly string[]): string => {
    const head = r
      .slice(0, last)
      .map((c, i) => c + ' '.repeat((widths[i] ?? 0) - len(c)))
      .join('  ');
    return cut(`${head}${last > 0 ? '  ' : ''}${cut(r[last] ?? '', lastWidth)}`.trimEnd(), width);
  };
  const rule = widths.map((w, i) => '-'.repeat(i === last ? Math.max(lastWidth, 1) : w));
  return [line(cells[0]!), cut(rule.join('  '), width), ...cells.slice(1).map(line)];
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Counts as the listings show them. */
export function countsOf(c: Changes): [string, string, string] {
  return [String(c.changed.length), String(c.created.length), String(c.deleted.length)];
}

/** `200 changed, 30 created, 20 deleted` (zero counts left out; `no files` for none). */
export function describeCounts(c: Changes): string {
  const parts = (
    [
      ['changed', c.changed],
      ['created', c.created],
      ['deleted', c.deleted],
    ] as const
  )
    .filter(([, list]) => list.length > 0)
    .map(([what, list]) => `${list.length} ${what}`);
  return parts.length === 0 ? 'no files' : parts.join(', ');
}

/**
 * The paths, one per line: `~` changed, `+` created, `-` deleted. Paths are never cut
 * (a person copies them): a line is as long as its path needs.
 */
export function fileLines(c: Changes, indent = '    '): string[] {
  return [
    ...c.changed.map((p) => `${indent}~ ${printable(p)}`),
    ...c.created.map((p) => `${indent}+ ${printable(p)}`),
    ...c.deleted.map((p) => `${indent}- ${printable(p)}`),
  ];
}

/** A table of batches, with `--files`, each row followed by its paths. */
export function batchTable(
  headers: readonly string[],
  rows: readonly { cells: readonly string[]; changes: Changes }[],
  flags: ListingFlags,
): string {
  const lines = fitTable(
    headers,
    rows.map((r) => r.cells),
    widthFor(flags),
  );
  if (flags.files !== true) return lines.join('\n');
  const out = lines.slice(0, 2);
  rows.forEach((r, i) => out.push(lines[i + 2]!, ...fileLines(r.changes)));
  return out.join('\n');
}

/** `2026-01-01T12:00:00Z`: the time to the second, in UTC. */
export function shortTime(value: Date | string): string {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `label  value` lines for `show <id>`, labels aligned, values cut to the width. */
export function fields(pairs: readonly (readonly [string, string | undefined])[], width: number): string[] {
  const present = pairs.filter((p): p is readonly [string, string] => p[1] !== undefined && p[1] !== '');
  const w = Math.max(...present.map(([k]) => k.length));
  return present.map(([k, v]) => cut(`${k.padEnd(w)}  ${printable(v)}`, width));
}

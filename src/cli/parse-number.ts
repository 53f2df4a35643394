/** Whole-number option values (milliseconds, counts), refused as usage errors (status 2). */
import { InvalidArgumentError } from 'commander';

export function parseMs(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected milliseconds (a whole number), got "${text}"`);
  return n;
}

export function parseCount(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a whole number of at least 1, got "${text}"`);
  return n;
}

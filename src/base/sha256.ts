/** SHA-256 helpers (pure: files are hashed by the file layer's sha256-file.ts). */
import { createHash, hash, type Hash } from 'node:crypto';

/** The size of one read when files are streamed. */
export const CHUNK_SIZE = 1 << 20;

/** Above this, Node's documentation advises a Hash object over the one-shot `hash`. */
const ONE_SHOT_MAX = 5 * 1024 * 1024;

/**
 * SHA-256 of `data`, hex. Up to 5 MB in one shot, without a Hash object, whose setup
 * costs as much as hashing a small input does (bench/NOTES.md).
 */
export function sha256Hex(data: Uint8Array | string): string {
  if (data.length <= ONE_SHOT_MAX) return hash('sha256', data, 'hex');
  return createHash('sha256').update(data).digest('hex');
}

export function newHash(): Hash {
  return createHash('sha256');
}

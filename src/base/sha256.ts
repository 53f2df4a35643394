/** SHA-256 helpers (pure: files are hashed by the file layer's sha256-file.ts). */
import { createHash, type Hash } from 'node:crypto';

/** The size of one read when files are streamed. */
export const CHUNK_SIZE = 1 << 20;

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function newHash(): Hash {
  return createHash('sha256');
}

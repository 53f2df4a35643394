/**
 * A backup's manifest: what was kept, and how to check it. Written last and atomically,
 * so its presence marks a complete backup. It carries a SHA-256 of its own body, so an
 * edited or damaged manifest is refused (ECORRUPT) rather than trusted, and every stored
 * path is checked to stay inside the backup folder, so a crafted manifest cannot make
 * restore read files from elsewhere.
 */
import { isAbsolute, normalize, sep } from 'node:path';
import { AtomicError } from '../base/errors.js';
import { sha256Hex } from '../base/sha256.js';

export const MANIFEST_NAME = 'manifest.json';
const FORMAT = 'atomicfs-backup';
const VERSION = 1;

export interface BackupFile {
  /** The absolute path the file was kept from (and is restored to). */
  path: string;
  /** Where it is stored, relative to the backup folder. */
  stored: string;
  size: number;
  /** Permission bits (0o7777 part of st_mode). */
  mode: number;
  sha256: string;
}

export interface Manifest {
  id: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  operation: string;
  transactionId?: string | undefined;
  /** The root the stored paths are relative to, if any. */
  root?: string | undefined;
  files: BackupFile[];
  /** The batch's name, if it was given one. */
  name?: string | undefined;
  /** Files the change created (absolute): a restore removes them. */
  created?: string[] | undefined;
  /** Files the change removed (absolute; each also among `files`). */
  deleted?: string[] | undefined;
  /** Folders the change created (absolute): a restore removes them if empty. */
  createdDirs?: string[] | undefined;
  /** For a restore's own backup: the id of the backup it put back. */
  restoreOf?: string | undefined;
}

interface Envelope extends Manifest {
  format: string;
  version: number;
  checksum: string;
}

function bodyOf(m: Manifest): string {
  // Fields added later come last and only when set, so older manifests keep their checksums.
  const { id, createdAt, operation, transactionId, root, files, name, created, deleted, createdDirs, restoreOf } = m;
  return JSON.stringify({
    format: FORMAT,
    version: VERSION,
    id,
    createdAt,
    operation,
    transactionId,
    root,
    files,
    name,
    created,
    deleted,
    createdDirs,
    restoreOf,
  });
}

export function encodeManifest(m: Manifest): string {
  const body = JSON.parse(bodyOf(m)) as Record<string, unknown>;
  return JSON.stringify({ ...body, checksum: sha256Hex(bodyOf(m)) }, null, 2) + '\n';
}

function corrupt(where: string, problem: string, cause?: unknown): AtomicError {
  return new AtomicError('ECORRUPT', `${where}: corrupt backup manifest: ${problem}`, { path: where, cause });
}

function isSafeStored(stored: string): boolean {
  if (stored === '' || isAbsolute(stored)) return false;
  const norm = normalize(stored);
  return norm === stored && !norm.split(sep).includes('..') && norm !== MANIFEST_NAME;
}

function checkFile(f: unknown, where: string, i: number): BackupFile {
  const o = f as Partial<BackupFile> | null;
  const ok =
    o !== null &&
    typeof o === 'object' &&
    typeof o.path === 'string' &&
    isAbsolute(o.path) &&
    typeof o.stored === 'string' &&
    isSafeStored(o.stored) &&
    Number.isSafeInteger(o.size) &&
    (o.size ?? -1) >= 0 &&
    Number.isInteger(o.mode) &&
    typeof o.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(o.sha256);
  if (!ok) throw corrupt(where, `file entry ${i} is malformed`);
  return { path: o.path!, stored: o.stored!, size: o.size!, mode: o.mode!, sha256: o.sha256! };
}

function optional<T>(v: unknown, ok: (v: unknown) => boolean, where: string, field: string): T | undefined {
  if (v === undefined) return undefined;
  if (!ok(v)) throw corrupt(where, `${field} is malformed`);
  return v as T;
}

/** A list of absolute paths; a restore deletes files named here, so nothing else is accepted. */
function pathList(v: unknown, where: string, field: string): string[] | undefined {
  return optional<string[]>(
    v,
    (a) => Array.isArray(a) && a.every((p) => typeof p === 'string' && isAbsolute(p) && normalize(p) === p),
    where,
    field,
  );
}

/** Parses and checks a manifest read from `where` (a path, for messages) for backup `id`. */
export function decodeManifest(text: string, where: string, id: string): Manifest {
  let raw: Partial<Envelope>;
  try {
    raw = JSON.parse(text) as Partial<Envelope>;
  } catch (err) {
    throw corrupt(where, 'not valid JSON', err);
  }
  if (raw === null || typeof raw !== 'object' || raw.format !== FORMAT)
    throw corrupt(where, 'not an atomicfs backup manifest');
  if (raw.version !== VERSION) throw corrupt(where, `unsupported version ${String(raw.version)}`);
  if (
    typeof raw.id !== 'string' ||
    typeof raw.createdAt !== 'string' ||
    typeof raw.operation !== 'string' ||
    !Array.isArray(raw.files)
  ) {
    throw corrupt(where, 'missing fields');
  }
  const m: Manifest = {
    id: raw.id,
    createdAt: raw.createdAt,
    operation: raw.operation,
    transactionId: typeof raw.transactionId === 'string' ? raw.transactionId : undefined,
    root: typeof raw.root === 'string' ? raw.root : undefined,
    files: raw.files.map((f, i) => checkFile(f, where, i)),
    name: optional(raw.name, (v) => typeof v === 'string', where, 'name'),
    created: pathList(raw.created, where, 'created'),
    deleted: pathList(raw.deleted, where, 'deleted'),
    createdDirs: pathList(raw.createdDirs, where, 'createdDirs'),
    restoreOf: optional(raw.restoreOf, (v) => typeof v === 'string', where, 'restoreOf'),
  };
  if (raw.checksum !== sha256Hex(bodyOf(m)))
    throw corrupt(where, 'checksum does not match its content (edited or damaged)');
  if (m.id !== id) throw corrupt(where, `belongs to backup ${m.id}, not ${id}`);
  return m;
}

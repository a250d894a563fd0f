import { randomBytes } from 'node:crypto';
import { closeSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates and removes a probe file in `dir`: null when that worked, else why not, in words. Tried,
 * not inferred from mode bits: root writes through chmod, and a read-only mount or an ACL refuses
 * whatever the bits say.
 */
export function probeWrite(dir: string): string | null {
  const probe = join(dir, `.fewshot-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(probe, 'wx');
  } catch (err) {
    return writeErrorReason(err);
  }
  closeSync(fd);
  try {
    unlinkSync(probe);
  } catch {
    // Created but not removable (a sticky folder, say): writing works, which is what is asked.
  }
  return null;
}

/** A file-system error in words a user acts on. */
export function writeErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOSPC') return 'no space left on the device';
  return (err as Error).message;
}

/** Write then rename, so a reader (or a browser refresh) never sees half a file. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

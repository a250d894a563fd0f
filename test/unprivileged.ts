// Chmod tests as root run the CLI as `nobody` (root ignores permission bits). That user must be able
// to run the built CLI from this checkout: a clone inside a private folder (mktemp -d is 0700) is out
// of its reach, and then the test cannot be made here, which it says rather than failing.
import { spawnSync } from 'node:child_process';

export type RunAs = { uid: number; gid: number } | undefined;

/** Why `as` cannot run `node bin --version`, or null when it can (always null when `as` is undefined). */
export function cannotRunCli(bin: string, as: RunAs): string | null {
  if (!as) return null;
  const r = spawnSync(process.execPath, [bin, '--version'], { ...as, stdio: 'ignore' });
  if (r.error) return `cannot run a process as uid ${as.uid}: ${r.error.message}`;
  if (r.status !== 0) return `uid ${as.uid} cannot run ${bin} (the checkout is not readable by that user, e.g. inside a private temp folder)`;
  return null;
}

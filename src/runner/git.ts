import { execFileSync } from 'node:child_process';

/** The commit the experiment was run from, when it lives in a git work tree; recorded for reproducibility. */
export function gitState(cwd: string): { commit: string | null; dirty: boolean | null } {
  try {
    const run = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = run('rev-parse', 'HEAD');
    return { commit, dirty: run('status', '--porcelain').length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

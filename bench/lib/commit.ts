/**
 * Which code a report measured: the commit, and whether the tree had uncommitted changes
 * (reports themselves excepted: a run rewrites them as it goes).
 */
import { execFileSync } from 'node:child_process';

export function measuredCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync(
      'git',
      ['status', '--porcelain', '--untracked-files=no', '--', ':(top)', ':(top,exclude)bench/reports'],
      {
        encoding: 'utf8',
      },
    ).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

import { chmodSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Runs commands against a data dir that refuses writes, the way a real deployment meets one:
 * - not root: the tree is made read-only (chmod a-w), so writes fail with EACCES;
 * - root (chmod does not bind root): a private mount namespace with the dir bind-mounted read-only, so writes
 *   fail with EROFS, as on a read-only volume.
 * `available` is false (with the reason) when neither can be arranged here.
 */
export interface ReadOnlyRunner {
  available: boolean;
  reason: string;
  /** The argv that runs `argv` with `dir` read-only. */
  wrap(argv: string[]): string[];
  /** Makes the dir writable again (for cleanup). */
  release(): void;
}

function chmodTree(path: string, writable: boolean): void {
  const st = statSync(path);
  if (st.isDirectory()) for (const name of readdirSync(path)) chmodTree(join(path, name), writable);
  chmodSync(path, writable ? st.mode | 0o200 : st.mode & ~0o222);
}

export function readOnly(dir: string): ReadOnlyRunner {
  if (process.getuid?.() !== 0) {
    chmodTree(dir, false);
    return { available: true, reason: "chmod a-w", wrap: (argv) => argv, release: () => chmodTree(dir, true) };
  }
  const script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"';
  const probe = Bun.spawnSync(["unshare", "-m", "sh", "-c", script, dir, "true"], { stderr: "pipe" });
  if (probe.exitCode === 0) {
    return {
      available: true,
      reason: "read-only bind mount",
      wrap: (argv) => ["unshare", "-m", "sh", "-c", script, dir, ...argv],
      release: () => {},
    };
  }
  return {
    available: false,
    reason: `running as root without mount namespaces (${probe.stderr.toString().trim()})`,
    wrap: (argv) => argv,
    release: () => {},
  };
}

import { existsSync, lstatSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { StorageReadOnly } from "./errors.ts";

/** A path a request or configuration names that would leave the folder it is confined to. */
export class PathConfinementError extends Error {
  override name = "PathConfinementError";
}

/** `path` is `root` or lies under it (both absolute and normalised). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** A folder's real location: symlinks resolved for the part of it that exists. */
function realBase(dir: string): string {
  const abs = resolve(dir);
  let existing = abs;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  return join(realpathSync(existing), relative(existing, abs));
}

/**
 * Where `path` lands inside `root`, or a PathConfinementError saying why it cannot: a relative path is taken
 * from `root` (not the working directory), `..` may not climb out, and no symbolic link on the way (the target
 * itself included, dangling or not) may lead outside `root`. Returns the absolute path with the links that exist
 * resolved, so what is opened is what was checked.
 */
export function confinedPath(root: string, path: string, what = "the data dir"): string {
  if (path.includes("\0")) throw new PathConfinementError(`${JSON.stringify(path)} contains a NUL byte`);
  const base = realBase(root);
  const target = resolve(base, path);
  if (!isWithin(base, target)) throw new PathConfinementError(`${path} is outside ${what}`);
  // The deepest part of the target that exists (as a link or otherwise) decides where the rest lands.
  let existing = target;
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      existing = dirname(existing);
    }
  }
  // Nothing under the root exists yet (the root included): no link can lead anywhere.
  if (!isWithin(base, existing)) return target;
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    throw new PathConfinementError(`${path}: ${existing} is a symbolic link that leads nowhere`);
  }
  if (!isWithin(base, real)) {
    throw new PathConfinementError(`${path} leads outside ${what} through the symbolic link ${existing}`);
  }
  return join(real, relative(existing, target));
}

/**
 * A refused write, as StorageReadOnly, when `err` is one: EROFS anywhere, or EACCES / EPERM on a path inside
 * the data dir (outside it, the same codes may answer a read the caller asked for). Null otherwise.
 */
export function deniedWrite(err: unknown, dataDir: string): StorageReadOnly | null {
  const path = (err as { path?: unknown } | null)?.path;
  const inside = typeof path === "string" && isWithin(resolve(dataDir), resolve(path));
  return StorageReadOnly.from(err, inside ? path : undefined);
}

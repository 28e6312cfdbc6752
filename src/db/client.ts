import { constants, Database } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { accessSync, existsSync, constants as fsConstants, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { StorageReadOnly } from "../errors.ts";
import * as schema from "./schema.ts";

export type Db = BunSQLiteDatabase<typeof schema> & {
  $client: Database;
  /** Why the database was opened read-only (the data dir refuses writes), or null: reads work, writes don't. */
  readOnly: StorageReadOnly | null;
  /** The database file ("" in memory). */
  path: string;
};

export const MIGRATIONS_DIR = join(import.meta.dir, "..", "..", "drizzle");

/**
 * Open (or create) the state database and bring it to the current schema. WAL lets HTTP
 * readers run while the trainer writes; busy_timeout makes a second process wait instead of
 * failing on a held lock.
 *
 * On a data dir that refuses writes (a read-only mount, files owned by another user) an existing,
 * migrated database opens read-only, so status and listings still work; a database that does not
 * exist or needs a migration there is a StorageReadOnly naming the file.
 */
export function openDb(path: string): Db {
  // SQLite would open a read-only file "read-write" and only fail at the first write: ask the OS first.
  if (path !== ":memory:" && existsSync(path)) {
    const refused = writeRefused(path) ?? writeRefused(dirname(path));
    if (refused) return openReadOnly(path, refused);
  }
  try {
    return openWritable(path);
  } catch (err) {
    const denied = StorageReadOnly.from(err, path);
    if (!denied || path === ":memory:") throw err;
    if (!existsSync(path)) throw denied;
    return openReadOnly(path, denied);
  }
}

/** Why `path` cannot be written (its -wal and -shm files live beside it, so its folder too), or null. */
function writeRefused(path: string): StorageReadOnly | null {
  try {
    accessSync(path, fsConstants.W_OK);
    return null;
  } catch (err) {
    return StorageReadOnly.from(err, path);
  }
}

function openWritable(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true, strict: true });
  try {
    sqlite.exec("PRAGMA journal_mode = WAL");
    sqlite.exec("PRAGMA busy_timeout = 5000");
    sqlite.exec("PRAGMA foreign_keys = ON");
    sqlite.exec("PRAGMA synchronous = NORMAL");
    const db = drizzle({ client: sqlite, schema });
    migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    return Object.assign(db, { readOnly: null, path: path === ":memory:" ? "" : path }) as Db;
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

/**
 * Read-only, `immutable`: SQLite then needs neither the -wal nor the -shm file, which a read-only folder
 * cannot hold. Nothing can write through this mount, so nothing changes under the reader.
 */
function openReadOnly(path: string, denied: StorageReadOnly): Db {
  const uri = `file:${encodeURI(path).replace(/[?#]/g, encodeURIComponent)}?immutable=1`;
  const sqlite = new Database(uri, constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI);
  // PRAGMA query_only = 1 makes a write fail inside SQLite too, even where the mount would not stop it.
  sqlite.exec("PRAGMA query_only = 1");
  const applied = latestMigration(sqlite);
  const wanted = migrationJournal().at(-1)?.when ?? 0;
  if (applied < wanted) {
    sqlite.close();
    throw new StorageReadOnly(path, `${denied.cause_}; the database needs a schema migration, which needs a write`);
  }
  return Object.assign(drizzle({ client: sqlite, schema }), { readOnly: denied, path }) as Db;
}

function latestMigration(sqlite: Database): number {
  try {
    const row = sqlite.query("select max(created_at) as at from __drizzle_migrations").get() as { at: number | null };
    return Number(row.at ?? 0);
  } catch {
    return 0;
  }
}

function migrationJournal(): { when: number }[] {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, "meta", "_journal.json"), "utf8")) as {
    entries: { when: number }[];
  };
  return journal.entries;
}

export function dbPath(dataDir: string): string {
  return join(dataDir, "spice.sqlite");
}

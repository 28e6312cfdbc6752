import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { MIGRATIONS_DIR, openDb } from "./client.ts";
import { runs } from "./schema.ts";
import { tempDir } from "../../test/helpers.ts";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

function freshPath() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, "nested", "spice.sqlite");
}

describe("state database", () => {
  test("migrations create every table on an empty database, in WAL mode", () => {
    const path = freshPath();
    const db = openDb(path);
    const tables = db.$client.query("select name from sqlite_master where type='table'").all() as { name: string }[];
    expect(tables.map((t) => t.name)).toContain("runs");
    expect(db.$client.query("pragma journal_mode").get()).toEqual({ journal_mode: "wal" });
    const applied = db.$client.query("select count(*) as n from __drizzle_migrations").get() as { n: number };
    const sqlFiles = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"));
    expect(applied.n).toBe(sqlFiles.length);
    db.$client.close();
  });

  test("re-opening an existing database keeps its rows and applies nothing twice", () => {
    const path = freshPath();
    const db = openDb(path);
    db.insert(runs)
      .values({ id: "r1", seed: 7, config: { iterations: 3 } })
      .run();
    db.$client.close();
    const again = openDb(path);
    const rows = again.select().from(runs).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.config).toEqual({ iterations: 3 });
    expect(rows[0]!.status).toBe("running");
    const applied = again.$client.query("select count(*) as n from __drizzle_migrations").get() as { n: number };
    expect(applied.n).toBe(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length);
    again.$client.close();
  });

  test("a database made by the first migration only is brought up to date, rows kept", () => {
    const path = freshPath();
    // An old install: a migrations folder whose journal holds only the first entry.
    const old = tempDir();
    cleanups.push(old.cleanup);
    cpSync(MIGRATIONS_DIR, old.dir, { recursive: true });
    const journalPath = join(old.dir, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalPath, "utf8"));
    journal.entries = journal.entries.slice(0, 1);
    writeFileSync(journalPath, JSON.stringify(journal));
    mkdirSync(dirname(path), { recursive: true });
    const raw = new Database(path, { create: true });
    migrate(drizzle({ client: raw }), { migrationsFolder: old.dir });
    raw.run("insert into runs (id, seed, config) values ('old', 1, '{}')");
    raw.close();

    const db = openDb(path);
    const applied = db.$client.query("select count(*) as n from __drizzle_migrations").get() as { n: number };
    expect(applied.n).toBe(readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).length);
    expect(
      db
        .select()
        .from(runs)
        .all()
        .map((r) => r.id),
    ).toEqual(["old"]);
    db.$client.close();
  });
});

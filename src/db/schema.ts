import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The whole SQLite schema. Change it here, then `bun run db:generate --name <what>` and commit
 * the generated migration under drizzle/; migrations are applied at start-up by openDb().
 */

/** One self-play run: its configuration and what it was tied to (corpus, model), for reproducibility. */
export const runs = sqliteTable("runs", {
  id: text("id").primaryKey(),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull().default(sql`(unixepoch('subsec') * 1000)`),
  status: text("status", { enum: ["running", "paused", "stopped", "finished", "failed"] }).notNull().default("running"),
  seed: integer("seed").notNull(),
  config: text("config", { mode: "json" }).notNull(),
  corpusHash: text("corpus_hash"),
  modelHash: text("model_hash"),
  note: text("note"),
});

export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;


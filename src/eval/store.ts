import { asc, eq } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { evalResults, type EvalResultRow } from "../db/schema.ts";
import type { Scores } from "./metrics.ts";

/** Stored `spice eval` results, one per checkpoint and dataset. */

export interface StoredResult extends Scores {
  checkpoint: string;
  dataset: string;
  datasetHash: string;
  model: string;
  temperature: number;
  seed: number;
  groups: Record<string, Scores>;
  createdAt: Date;
}

/** Saves a result, replacing an earlier one for the same checkpoint and dataset. */
export function saveResult(db: Db, r: StoredResult): void {
  const row = {
    checkpoint: r.checkpoint,
    dataset: r.dataset,
    datasetHash: r.datasetHash,
    model: r.model,
    n: r.n,
    k: r.k,
    temperature: r.temperature,
    seed: r.seed,
    avgAtK: r.avg_at_k,
    passAt1: r.pass_at_1,
    passAtK: r.pass_at_k,
    groups: r.groups,
    createdAt: r.createdAt,
  };
  const { checkpoint, datasetHash, ...rest } = row;
  db.insert(evalResults)
    .values(row)
    .onConflictDoUpdate({ target: [evalResults.checkpoint, evalResults.datasetHash], set: rest })
    .run();
}

function fromRow(row: EvalResultRow): StoredResult {
  return {
    checkpoint: row.checkpoint,
    dataset: row.dataset,
    datasetHash: row.datasetHash,
    model: row.model,
    n: row.n,
    k: row.k,
    temperature: row.temperature,
    seed: row.seed,
    avg_at_k: row.avgAtK,
    pass_at_1: row.passAt1,
    pass_at_k: row.passAtK,
    groups: row.groups as Record<string, Scores>,
    createdAt: row.createdAt,
  };
}

/** Every checkpoint's result on a dataset, oldest first. */
export function resultsFor(db: Db, datasetHash: string): StoredResult[] {
  return db
    .select()
    .from(evalResults)
    .where(eq(evalResults.datasetHash, datasetHash))
    .orderBy(asc(evalResults.createdAt), asc(evalResults.id))
    .all()
    .map(fromRow);
}

import { z } from "zod";

/**
 * The trainer's states, and the run statuses the database stores: one list for the runs table,
 * the trainer loop and `GET /v1/trainer/status`. A stored status is the trainer's state while
 * the run is its own; `idle` (no run yet) and `stopping` (rolling an iteration back) are never stored.
 */
export const TrainerStateSchema = z.enum(["idle", "running", "paused", "stopping", "stopped", "finished", "failed"]);
export type TrainerState = z.infer<typeof TrainerStateSchema>;

export const RunStatusSchema = TrainerStateSchema.exclude(["idle", "stopping"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** The run statuses as a non-empty tuple, the shape a drizzle column enum takes. */
export const RUN_STATUSES = RunStatusSchema.options as [RunStatus, ...RunStatus[]];

import type { Registry } from "prom-client";
import { trainerGauge } from "../metrics.ts";
import { scalarMetrics } from "./record.ts";

/**
 * The `spice_trainer_*{run}` gauges: the last committed iteration's scalars. Set by the trainer after
 * each commit, and at scrape time from the database when the run trains in another process.
 */
export function exportTrainerGauges(
  registry: Registry,
  runId: string,
  iteration: number,
  metrics: Record<string, unknown>,
): void {
  for (const [name, value] of Object.entries(scalarMetrics(metrics))) {
    const metricName = `spice_trainer_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
    trainerGauge(registry, metricName, `trainer metric ${name} (last committed iteration)`).set({ run: runId }, value);
  }
  trainerGauge(registry, "spice_trainer_iteration", "last committed iteration").set({ run: runId }, iteration);
}

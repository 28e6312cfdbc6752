import { Counter, Gauge, Histogram, type Metric, type Registry } from "prom-client";
import type { RequestObservation } from "./http/middleware/request-log.ts";

/**
 * The metric registered under `name`, created by `make` on first use. One registry per context
 * (tests build many apps; a global registry would reject a second registration of the same name),
 * and the registry itself is the cache: a second app or trainer on the context reuses the metric.
 */
export function registered<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export function httpMetrics(registry: Registry) {
  return {
    requests: registered(
      registry,
      "spice_http_requests_total",
      () =>
        new Counter({
          name: "spice_http_requests_total",
          help: "HTTP requests by method, route and status",
          labelNames: ["method", "route", "status"] as const,
          registers: [registry],
        }),
    ),
    duration: registered(
      registry,
      "spice_http_request_duration_seconds",
      () =>
        new Histogram({
          name: "spice_http_request_duration_seconds",
          help: "HTTP request latency",
          labelNames: ["method", "route"] as const,
          buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
          registers: [registry],
        }),
    ),
  };
}

/** The request log's observer (src/http/middleware/request-log.ts) that counts and times requests in `registry`. */
export function observeHttp(registry: Registry): (o: RequestObservation) => void {
  const m = httpMetrics(registry);
  return ({ method, route, status, seconds }) => {
    m.requests.inc({ method, route, status: String(status) });
    m.duration.observe({ method, route }, seconds);
  };
}

/** A per-run gauge of the trainer (label `run`). */
export function trainerGauge(registry: Registry, name: string, help: string): Gauge<"run"> {
  return registered(
    registry,
    name,
    () => new Gauge({ name, help, labelNames: ["run"] as const, registers: [registry] }),
  );
}

/**
 * A run's scalar metrics of its last committed iteration as Prometheus gauges `spice_trainer_<name>{run}`, plus
 * `spice_trainer_iteration`: the embedded trainer and the external-run environment (`spice gym serve`) both export so.
 */
export function exportRunGauges(
  registry: Registry,
  runId: string,
  iteration: number,
  metrics: Record<string, unknown>,
): void {
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== "number" || !Number.isFinite(value)) continue;
    const metricName = `spice_trainer_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
    trainerGauge(registry, metricName, `trainer metric ${name} (last committed iteration)`).set({ run: runId }, value);
  }
  trainerGauge(registry, "spice_trainer_iteration", "last committed iteration").set({ run: runId }, iteration);
}

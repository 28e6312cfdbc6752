import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { registered } from "../metrics.ts";

/** The replica pool's Prometheus metrics, per replica; kept out of pool.ts so the edge build never loads prom-client. */
export type PoolMetrics = ReturnType<typeof poolMetrics>;

export function poolMetrics(registry: Registry) {
  const labelNames = ["replica"] as const;
  return {
    requests: registered(
      registry,
      "spice_policy_requests_total",
      () =>
        new Counter({
          name: "spice_policy_requests_total",
          help: "requests sent to each policy replica",
          labelNames,
          registers: [registry],
        }),
    ),
    errors: registered(
      registry,
      "spice_policy_errors_total",
      () =>
        new Counter({
          name: "spice_policy_errors_total",
          help: "failed requests per policy replica",
          labelNames,
          registers: [registry],
        }),
    ),
    inFlight: registered(
      registry,
      "spice_policy_in_flight",
      () =>
        new Gauge({
          name: "spice_policy_in_flight",
          help: "requests in flight per policy replica",
          labelNames,
          registers: [registry],
        }),
    ),
    up: registered(
      registry,
      "spice_policy_replica_up",
      () =>
        new Gauge({
          name: "spice_policy_replica_up",
          help: "1 while a policy replica is in the pool, 0 while it is taken out",
          labelNames,
          registers: [registry],
        }),
    ),
    latency: registered(
      registry,
      "spice_policy_request_seconds",
      () =>
        new Histogram({
          name: "spice_policy_request_seconds",
          help: "latency of the requests per policy replica",
          labelNames,
          buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120],
          registers: [registry],
        }),
    ),
  };
}

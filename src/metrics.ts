import { Counter, Histogram, type Registry } from "prom-client";

/**
 * HTTP metrics on the context's registry (one registry per context: tests build many apps,
 * and a global registry would reject a second registration of the same name).
 */
export function httpMetrics(registry: Registry) {
  const existing = registry.getSingleMetric("spice_http_requests_total");
  if (existing) {
    return {
      requests: existing as Counter<"method" | "route" | "status">,
      duration: registry.getSingleMetric("spice_http_request_duration_seconds") as Histogram<"method" | "route">,
    };
  }
  return {
    requests: new Counter({
      name: "spice_http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "spice_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route"] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  };
}

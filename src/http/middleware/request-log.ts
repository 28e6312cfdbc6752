import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Registry } from "prom-client";
import type { Logger } from "../../log.ts";
import { httpMetrics } from "../../metrics.ts";

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * One log line and the Prometheus request counter and latency per request. The route label is the matched
 * pattern (`/v1/trainer/runs/:id/metrics`), not the path, so ids in URLs do not explode the label set.
 */
export function requestLog(logger: Logger, registry: Registry): MiddlewareHandler {
  const metrics = httpMetrics(registry);
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    const route = routePath(c) ?? "unmatched";
    metrics.requests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.duration.observe({ method: c.req.method, route }, ms / 1000);
    logger.info(
      { req_id: c.get("requestId"), method: c.req.method, path: c.req.path, status: c.res.status, ms: round1(ms) },
      "request",
    );
  };
}

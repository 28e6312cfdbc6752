import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { LogSink } from "../../log.ts";

const round1 = (x: number) => Math.round(x * 10) / 10;

/** One finished request, as the metrics see it: `route` is the matched pattern, or "unmatched". */
export interface RequestObservation {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

/**
 * One log line per request, and the observation handed to `observe` (the Bun app's Prometheus counter and
 * latency, src/metrics.ts). The route label is the matched pattern (`/v1/trainer/runs/:id/metrics`), not the
 * path, so ids in URLs do not explode the label set. Web-standard: the edge build logs through it too.
 */
export function requestLog(logger: LogSink, observe?: (o: RequestObservation) => void): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    observe?.({ method: c.req.method, route: routePath(c) ?? "unmatched", status: c.res.status, seconds: ms / 1000 });
    logger.info(
      { req_id: c.get("requestId"), method: c.req.method, path: c.req.path, status: c.res.status, ms: round1(ms) },
      "request",
    );
  };
}

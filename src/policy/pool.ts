import type { PoolMetrics } from "./pool-metrics.ts";

/**
 * Replicas of one model behind OpenAI-compatible servers (SPICE_POLICY_URL=a,b,c), as the OpenAI
 * backend sees them: each request goes to the healthy replica with the fewest requests in flight,
 * below a per-replica cap (callers wait for a free slot when every replica is full). A replica that
 * fails `failuresToEject` requests in a row, or a health probe (GET /v1/models), is taken out: its
 * requests in flight are aborted so that the caller retries them elsewhere, and it is probed until
 * it answers again. docs/openai.md#a-pool-of-inference-servers describes the behaviour.
 */

export interface PoolOptions {
  /** Base URLs ending in /v1, one per replica. */
  urls: string[];
  /** Requests in flight per replica. */
  maxInFlight: number;
  /** Failed requests in a row that take a replica out. */
  failuresToEject?: number;
  /** How often every replica is probed (healthy ones to catch a hang, ejected ones to bring them back). */
  probeIntervalMs?: number;
  probeTimeoutMs?: number;
  /** The health probe: resolves when the replica answers as expected, rejects with the reason otherwise. */
  probe: (replica: Replica, signal: AbortSignal) => Promise<void>;
  /** Per-replica Prometheus metrics (pool-metrics.ts); none on runtimes without prom-client (the edge build). */
  metrics?: PoolMetrics;
}

export class Replica {
  inFlight = 0;
  healthy = true;
  failures = 0;
  /** Why it was last taken out, for the error that lists every replica. */
  lastError: string | null = null;
  /** Aborted when the replica is taken out, so its requests in flight are retried elsewhere. */
  private controller = new AbortController();

  constructor(readonly url: string) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  eject(reason: string): void {
    this.healthy = false;
    this.lastError = reason;
    this.controller.abort(new Error(`replica ${this.url} was taken out: ${reason}`));
  }

  restore(): void {
    this.healthy = true;
    this.failures = 0;
    this.controller = new AbortController();
  }
}

/** Every replica is out: the error lists each one with why. */
export class PoolDown extends Error {}

interface Waiter {
  exclude: ReadonlySet<Replica>;
  resolve: (r: Replica) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class ReplicaPool {
  readonly replicas: Replica[];
  private readonly waiting: Waiter[] = [];
  private readonly metrics: PoolMetrics | null;
  private readonly failuresToEject: number;
  private readonly probeTimeoutMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private probing = new Map<Replica, Promise<boolean>>();
  private closed = false;

  constructor(private readonly options: PoolOptions) {
    if (options.urls.length === 0) throw new RangeError("a pool needs at least one replica");
    if (!(options.maxInFlight >= 1)) throw new RangeError("maxInFlight must be >= 1");
    this.replicas = options.urls.map((u) => new Replica(u));
    this.failuresToEject = options.failuresToEject ?? 3;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5000;
    this.metrics = options.metrics ?? null;
    for (const r of this.replicas) this.metrics?.up.set({ replica: r.url }, 1);
    const every = options.probeIntervalMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => void this.probeAll(), every);
      this.timer.unref?.();
    }
  }

  /**
   * A slot on the healthy replica with the fewest requests in flight, preferring replicas not in
   * `exclude` (those this request already failed on). Waits while every usable replica is full;
   * when none is healthy, probes them all at once and throws PoolDown if none answers.
   */
  async acquire(exclude: ReadonlySet<Replica> = new Set(), signal?: AbortSignal): Promise<Replica> {
    signal?.throwIfAborted();
    const now = this.pick(exclude);
    if (now) return this.take(now);
    if (!this.replicas.some((r) => r.healthy)) {
      await this.probeAll();
      if (!this.replicas.some((r) => r.healthy)) throw this.down();
      const again = this.pick(exclude);
      if (again) return this.take(again);
    }
    return new Promise<Replica>((resolve, reject) => {
      const w: Waiter = { exclude, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          const at = this.waiting.indexOf(w);
          if (at !== -1) this.waiting.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.waiting.push(w);
    });
  }

  /** Gives the slot back with the request's outcome; a failure counts towards taking the replica out. */
  release(r: Replica, outcome: { ok: boolean; seconds: number; error?: string }): void {
    r.inFlight--;
    const labels = { replica: r.url };
    this.metrics?.inFlight.set(labels, r.inFlight);
    this.metrics?.latency.observe(labels, outcome.seconds);
    if (outcome.ok) r.failures = 0;
    else {
      this.metrics?.errors.inc(labels);
      r.failures++;
      if (r.healthy && r.failures >= this.failuresToEject)
        this.eject(r, outcome.error ?? `${r.failures} failures in a row`);
    }
    this.wake();
  }

  /** A failure that says the replica is gone (connection refused): out at once, probed back in later. */
  markDown(r: Replica, reason: string): void {
    if (r.healthy) this.eject(r, reason);
  }

  /** Probes every replica now (at most one probe per replica at a time); resolves when all have answered or timed out. */
  async probeAll(): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.replicas.map((r) => this.probeOne(r)));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.waiting.splice(0)) {
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.reject(new PoolDown("the policy pool was closed"));
    }
  }

  private probeOne(r: Replica): Promise<boolean> {
    let p = this.probing.get(r);
    if (!p) {
      const timeout = AbortSignal.timeout(this.probeTimeoutMs);
      p = this.options
        .probe(r, timeout)
        .then(
          () => {
            if (!r.healthy && !this.closed) {
              r.restore();
              this.metrics?.up.set({ replica: r.url }, 1);
              this.wake();
            }
            return true;
          },
          (err: unknown) => {
            const why = timeout.aborted
              ? `health probe timed out after ${this.probeTimeoutMs} ms`
              : `health probe failed: ${err instanceof Error ? err.message : String(err)}`;
            // An ejected replica keeps the reason it was taken out for: the first failure says most.
            if (r.healthy) this.eject(r, why);
            return false;
          },
        )
        .finally(() => this.probing.delete(r));
      this.probing.set(r, p);
    }
    return p;
  }

  private eject(r: Replica, reason: string): void {
    r.eject(reason);
    this.metrics?.up.set({ replica: r.url }, 0);
    // Callers waiting for a slot may now have nowhere to go.
    if (!this.replicas.some((x) => x.healthy)) {
      const err = this.down();
      for (const w of this.waiting.splice(0)) {
        if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
        w.reject(err);
      }
    }
  }

  private down(): PoolDown {
    const each = this.replicas.map((r) => `${r.url} (${r.lastError ?? "down"})`).join("; ");
    const n = this.replicas.length;
    return new PoolDown(n === 1 ? `the policy server is down: ${each}` : `all ${n} policy replicas are down: ${each}`);
  }

  /** Least in flight among healthy replicas under the cap; replicas outside `exclude` first. */
  private pick(exclude: ReadonlySet<Replica>): Replica | null {
    const open = this.replicas.filter((r) => r.healthy && r.inFlight < this.options.maxInFlight);
    const fresh = open.filter((r) => !exclude.has(r));
    // A replica this request failed on is used again only when no other healthy replica exists at all.
    const others = this.replicas.some((r) => r.healthy && !exclude.has(r));
    const from = fresh.length ? fresh : others ? [] : open;
    let best: Replica | null = null;
    for (const r of from) if (!best || r.inFlight < best.inFlight) best = r;
    return best;
  }

  private take(r: Replica): Replica {
    r.inFlight++;
    const labels = { replica: r.url };
    this.metrics?.requests.inc(labels);
    this.metrics?.inFlight.set(labels, r.inFlight);
    return r;
  }

  /** Hands freed slots to waiters in arrival order. */
  private wake(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const w = this.waiting[i]!;
      const r = this.pick(w.exclude);
      if (!r) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
      w.resolve(this.take(r));
    }
  }
}

/**
 * Readiness, apart from liveness: `/healthz` answers as soon as the port is open, `/readyz` only once the
 * start-up work that requests depend on (the default models, the sample corpus) has finished. Load balancers and
 * Kubernetes probe the second before routing traffic; a task that failed keeps it unready, with the reason.
 */
export interface ReadinessState {
  ready: boolean;
  /** Tasks still running, in start order. */
  pending: string[];
  /** Tasks that failed, with their error's message. */
  failed: { task: string; error: string }[];
}

export class Readiness {
  private readonly pending = new Set<string>();
  private readonly failed = new Map<string, string>();

  /** Registers work that must finish before the process is ready. */
  expect(task: string): void {
    this.pending.add(task);
  }

  done(task: string): void {
    this.pending.delete(task);
  }

  fail(task: string, err: unknown): void {
    this.pending.delete(task);
    this.failed.set(task, err instanceof Error ? err.message.split("\n")[0]! : String(err));
  }

  state(): ReadinessState {
    const failed = [...this.failed].map(([task, error]) => ({ task, error }));
    return { ready: this.pending.size === 0 && failed.length === 0, pending: [...this.pending], failed };
  }
}

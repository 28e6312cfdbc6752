/**
 * Groups work items that arrive close together into batches for one shared worker.
 * A batch starts when `maxBatch` items wait or when the oldest has waited `maxWaitMs`;
 * items that queued while a batch ran start at once when it ends (they already waited).
 * One batch runs at a time: the worker is a single model instance.
 *
 * An item pushed with an AbortSignal that fires while it waits leaves the queue at once; one
 * that fires while its batch runs is the worker's to drop (it reads the signal from the item).
 * Either way its promise rejects with the signal's reason.
 */
export interface BatchQueueOptions {
  maxBatch: number;
  maxWaitMs: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  at: number;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class BatchQueue<I, O> {
  private readonly queue: Pending<I, O>[] = [];
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Sizes of the batches run so far (for metrics and tests). */
  readonly batchSizes: number[] = [];

  constructor(
    private readonly options: BatchQueueOptions,
    private readonly run: (items: I[]) => Promise<O[]>,
  ) {
    if (!(options.maxBatch >= 1)) throw new RangeError("maxBatch must be >= 1");
  }

  push(item: I, signal?: AbortSignal): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const p: Pending<I, O> = { item, resolve, reject, at: performance.now(), signal };
      if (signal) {
        p.onAbort = () => {
          const at = this.queue.indexOf(p);
          if (at === -1) return; // running: the worker drops it
          this.queue.splice(at, 1);
          reject(signal.reason);
        };
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.pump(false);
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  /** True while a batch runs. */
  get busy(): boolean {
    return this.running;
  }

  private pump(afterBatch: boolean): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0]!.at;
    if (!afterBatch && this.queue.length < this.options.maxBatch && waited < this.options.maxWaitMs) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.pump(true);
      }, this.options.maxWaitMs - waited);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running = true;
    this.batchSizes.push(batch.length);
    /** An item whose signal fired while it ran is rejected with the signal's reason, whatever the batch gave. */
    const settle = (p: Pending<I, O>, outcome: { value: O } | { error: unknown }) => {
      if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
      if (p.signal?.aborted) p.reject(p.signal.reason);
      else if ("value" in outcome) p.resolve(outcome.value);
      else p.reject(outcome.error);
    };
    this.run(batch.map((p) => p.item))
      .then(
        (out) => {
          for (const [i, p] of batch.entries()) settle(p, { value: out[i]! });
        },
        (error) => {
          for (const p of batch) settle(p, { error });
        },
      )
      .finally(() => {
        this.running = false;
        this.pump(true);
      });
  }
}

/**
 * Groups work items that arrive close together into batches for one shared worker.
 * A batch starts when `maxBatch` items wait or when the oldest has waited `maxWaitMs`;
 * items that queued while a batch ran start at once when it ends (they already waited).
 * One batch runs at a time: the worker is a single model instance.
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

  push(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, at: performance.now() });
      this.pump(false);
    });
  }

  get pending(): number {
    return this.queue.length;
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
    this.run(batch.map((p) => p.item))
      .then(
        (out) => {
          for (const [i, p] of batch.entries()) p.resolve(out[i]!);
        },
        (err) => {
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        this.running = false;
        this.pump(true);
      });
  }
}

/**
 * Readable progress on stderr. On a terminal: one bar redrawn in place, with rate and ETA; otherwise
 * (a log file, a pipe, CI): a plain line now and then, never control characters.
 */

/** 42s · 9m · 1h 04m · 2d 3h */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h ${String(Math.round((s - h * 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

const num = (v: unknown, digits = 2) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "–");

/** Seconds per unit over the recent past: a window of (time, done) points, so the ETA follows the current pace. */
export class Pace {
  private points: Array<[number, number]> = [];
  constructor(private readonly window = 10) {}
  add(done: number, at = performance.now()): void {
    this.points.push([at, done]);
    if (this.points.length > this.window + 1) this.points.shift();
  }
  /** Seconds per unit, or null before two points. */
  perUnit(): number | null {
    const first = this.points[0];
    const last = this.points.at(-1);
    if (!first || !last || last[1] <= first[1]) return null;
    return (last[0] - first[0]) / 1000 / (last[1] - first[1]);
  }
}

/** The human line `spice train` prints per committed iteration. */
export function iterationLine(o: {
  iteration: number;
  iterations: number | null;
  metrics: Record<string, unknown> | null;
  secondsPerIteration: number | null;
}): string {
  const m = o.metrics ?? {};
  const parts = [
    `iteration ${o.iteration}/${o.iterations ?? "?"}`,
    `valid ${num(m["challenger.valid_rate"])}`,
    `reasoner acc ${num(m["reasoner.accuracy"])}`,
    `p̂ ${num(m["pass_rate.mean"])}`,
  ];
  if (typeof m["learner.loss"] === "number") parts.push(`loss ${num(m["learner.loss"], 3)}`);
  if (o.secondsPerIteration !== null) {
    parts.push(`${o.secondsPerIteration.toFixed(1)} s/it`);
    if (o.iterations !== null)
      parts.push(`ETA ${formatDuration(Math.max(0, o.iterations - o.iteration) * o.secondsPerIteration)}`);
  }
  return parts.join(" · ");
}

export interface ProgressOptions {
  stream?: { isTTY?: boolean; write(s: string): unknown };
  /** Plain mode: at most one line per this many ms (the last update always prints). */
  plainEveryMs?: number;
  /** How done/total are written (default: the number). */
  unit?: (n: number) => string;
}

/** A progress bar over `total` units (null: unknown, counts only). */
export class Progress {
  private readonly stream: NonNullable<ProgressOptions["stream"]>;
  private readonly tty: boolean;
  private readonly pace = new Pace(20);
  private lastDraw = 0;
  private drawn = false;
  private done = 0;
  private note = "";

  constructor(
    private readonly label: string,
    private total: number | null,
    private readonly o: ProgressOptions = {},
  ) {
    this.stream = o.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.pace.add(0);
  }

  /** Set the units done (and an optional short note, e.g. the loss), and redraw when due. */
  update(done: number, note = "", total: number | null = this.total): void {
    this.done = done;
    this.note = note;
    this.total = total;
    this.pace.add(done);
    const now = performance.now();
    const last = total !== null && done >= total;
    if (!last && now - this.lastDraw < (this.tty ? 100 : (this.o.plainEveryMs ?? 5000))) return;
    this.lastDraw = now;
    this.draw();
  }

  /** A line of its own (a warning) without breaking the bar. */
  log(line: string): void {
    this.stream.write(`${this.drawn ? "\r\x1b[K" : ""}${line}\n`);
    this.drawn = false;
    if (this.tty) this.draw();
  }

  /** End the bar (a final newline on a terminal). */
  finish(): void {
    if (this.drawn) this.stream.write("\n");
    this.drawn = false;
  }

  render(): string {
    const perUnit = this.pace.perUnit();
    const t = this.total;
    const f = t ? Math.min(1, this.done / t) : null;
    const bar = f === null ? "" : `[${"#".repeat(Math.round(f * 24)).padEnd(24, ".")}] ${Math.floor(f * 100)}% `;
    const eta =
      t !== null && perUnit !== null && this.done < t ? ` · ETA ${formatDuration((t - this.done) * perUnit)}` : "";
    const u = this.o.unit ?? String;
    return `spice: ${this.label} ${bar}${u(this.done)}${t !== null ? `/${u(t)}` : ""}${this.note ? ` · ${this.note}` : ""}${eta}`;
  }

  private draw(): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[K${this.render()}`);
      this.drawn = true;
    } else this.stream.write(`${this.render()}\n`);
  }
}

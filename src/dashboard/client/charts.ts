import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type Row = Record<string, number>;

export interface SeriesSpec {
  label: string;
  color: string;
  value: (row: Row) => number | undefined;
  /** Draw on the right-hand axis (a second scale). */
  right?: boolean;
  /** Sparse series (held-out evaluation): join the points across missing iterations. */
  sparse?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  series: SeriesSpec[];
  yRange?: [number, number];
}

const width = (el: HTMLElement) => Math.max(240, el.clientWidth - 8);
const INTEGER_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** A line chart of per-iteration metrics (x = iteration). */
export class LineChart {
  readonly u: uPlot;
  private rows: Row[] = [];
  constructor(
    readonly el: HTMLElement,
    readonly spec: ChartSpec,
  ) {
    const hasRight = spec.series.some((s) => s.right);
    const opts: uPlot.Options = {
      width: width(el),
      height: 170,
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: { time: false },
        y: spec.yRange ? { range: spec.yRange } : {},
        ...(hasRight ? { r: {} } : {}),
      },
      axes: [
        // Iterations are whole numbers: ticks at 1, 2, 5, 10, 20, 50, …
        { label: "iteration", size: 36, labelSize: 14, incrs: INTEGER_TICKS },
        { size: 46 },
        ...(hasRight ? [{ scale: "r", side: 1 as const, grid: { show: false }, size: 46 }] : []),
      ],
      series: [
        { label: "iteration" },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          scale: s.right ? "r" : "y",
          spanGaps: !!s.sparse,
          points: { show: s.sparse ? true : undefined, size: 6 },
          value: (_u: uPlot, v: number | null) => (v === null || v === undefined ? "–" : fmt(v)),
        })),
      ],
    };
    this.u = new uPlot(opts, this.data(), el);
  }

  private data(): uPlot.AlignedData {
    const xs = this.rows.map((r) => r.iteration ?? 0);
    return [xs, ...this.spec.series.map((s) => this.rows.map((r) => s.value(r) ?? null))] as uPlot.AlignedData;
  }

  setRows(rows: Row[]): void {
    this.rows = rows;
    this.u.setData(this.data());
  }

  resize(): void {
    this.u.setSize({ width: width(this.el), height: 170 });
  }
}

/** Bars: the p̂ histogram of the recent iterations (x = correct rollouts out of K). */
export class HistogramChart {
  readonly u: uPlot;
  constructor(readonly el: HTMLElement) {
    const bars = uPlot.paths.bars!({ size: [0.7, 60] });
    this.u = new uPlot(
      {
        width: width(el),
        height: 170,
        scales: {
          x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        axes: [
          {
            label: "p̂",
            size: 36,
            labelSize: 14,
            splits: (u) => (u.data[0] as number[]).slice(),
            values: (u, splits) => splits.map((k) => fmt(k / Math.max(1, (u.data[0] as number[]).length - 1))),
          },
          { size: 46 },
        ],
        series: [
          { label: "k" },
          { label: "valid tasks", fill: "#4c78a8aa", stroke: "#4c78a8", paths: bars, points: { show: false } },
        ],
      },
      [[], []],
      el,
    );
  }

  setCounts(counts: number[]): void {
    this.u.setData([counts.map((_c, k) => k), counts]);
  }

  resize(): void {
    this.u.setSize({ width: width(this.el), height: 170 });
  }
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 100000)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(3).replace(/0+$/, "").replace(/\.$/, "");
}

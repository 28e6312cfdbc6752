import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/** A Vega-Lite chart rendered headless to PNG (SVG via vega's "none" renderer, rasterised by resvg). */
export async function renderPng(spec: TopLevelSpec): Promise<Uint8Array> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { background: "white", font: { loadSystemFonts: true }, fitTo: { mode: "zoom", value: 2 } })
    .render()
    .asPng();
}

/** Mean over seeds per (config, iteration), with a ±1 standard deviation band. */
export function lineChart(
  title: string,
  yTitle: string,
  rows: Array<{ config: string; iteration: number; value: number }>,
): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    width: 520,
    height: 260,
    data: { values: rows },
    layer: [
      {
        mark: { type: "errorband", extent: "stdev", opacity: 0.15 },
        encoding: {
          x: { field: "iteration", type: "quantitative" },
          y: { field: "value", type: "quantitative", title: yTitle },
          color: { field: "config", type: "nominal" },
        },
      },
      {
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "iteration", type: "quantitative", title: "iteration" },
          y: { aggregate: "mean", field: "value", type: "quantitative", title: yTitle },
          color: { field: "config", type: "nominal", title: "configuration" },
        },
      },
    ],
  };
}

/** Share of tasks at each p̂ = k/K, early vs late iterations, one panel per configuration. */
export function passRateChart(rows: Array<{ config: string; phase: string; p: string; share: number }>): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: "Reasoner pass rate p̂ of valid tasks: first vs second half of the run",
    data: { values: rows },
    facet: { field: "config", type: "nominal", title: null },
    columns: 4,
    spec: {
      width: 150,
      height: 110,
      mark: "bar",
      encoding: {
        x: { field: "p", type: "ordinal", title: "p̂" },
        xOffset: { field: "phase" },
        y: { field: "share", type: "quantitative", title: "share of tasks" },
        color: { field: "phase", type: "nominal", title: null },
      },
    },
  };
}

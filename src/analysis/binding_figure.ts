/**
 * The binding probe's figure: one panel per question family with the probe's accuracy on multi-object
 * held-out scenes over the training steps, its shortcut (the best binding-free strategy on the same
 * questions, dashed) and the text-only prior (dotted); and a panel with the training loss.
 * Binding shows as a curve above both reference lines.
 */
import type { PlotlyFigure, PlotlyTrace } from "./figures.js";
import { baseLayout, colour } from "./figures.js";

/** The curves as the probe writes them (binding_probe.json). */
export interface BindingCurves {
  title: string;
  /** Samples per optimiser step, for the x axis title. */
  batch: number;
  steps: number[];
  families: { family: string; accuracy: number[]; shortcut: number; shortcutStrategy: string; prior: number | null; n: number }[];
  /** Training loss per point (mean since the previous one; null at step 0). */
  loss: (number | null)[];
}

export function bindingProbeFigure(curves: BindingCurves, name = "binding_probe"): PlotlyFigure {
  const panels = curves.families.length + 1;
  const columns = Math.min(3, panels);
  const rows = Math.ceil(panels / columns);
  const axis = (i: number): { x: string; y: string; xaxis: string; yaxis: string } => ({ x: i === 0 ? "x" : `x${i + 1}`, y: i === 0 ? "y" : `y${i + 1}`, xaxis: i === 0 ? "xaxis" : `xaxis${i + 1}`, yaxis: i === 0 ? "yaxis" : `yaxis${i + 1}` });
  const last = curves.steps[curves.steps.length - 1] ?? 0;
  const data: PlotlyTrace[] = [];
  const layout: Record<string, unknown> = {
    ...baseLayout(curves.title),
    grid: { rows, columns, pattern: "independent", xgap: 0.12, ygap: 0.3 },
    showlegend: true,
    legend: { orientation: "h", y: -0.12 },
    annotations: [] as unknown[],
  };
  const xTitle = `optimiser step (${curves.batch} conversations each)`;
  curves.families.forEach((f, i) => {
    const a = axis(i);
    const c = colour(i);
    const first = i === 0;
    data.push({ type: "scatter", mode: "lines+markers", name: "probe accuracy", legendgroup: "acc", showlegend: first, x: curves.steps, y: f.accuracy.map((v) => 100 * v), line: { color: "#1f77b4" }, xaxis: a.x, yaxis: a.y });
    data.push({ type: "scatter", mode: "lines", name: "shortcut (binding-free)", legendgroup: "shortcut", showlegend: first, x: [0, last], y: [100 * f.shortcut, 100 * f.shortcut], line: { color: "#d62728", dash: "dash" }, xaxis: a.x, yaxis: a.y });
    if (f.prior !== null) data.push({ type: "scatter", mode: "lines", name: "text-only prior", legendgroup: "prior", showlegend: first, x: [0, last], y: [100 * f.prior, 100 * f.prior], line: { color: "#7f7f7f", dash: "dot" }, xaxis: a.x, yaxis: a.y });
    void c;
    layout[a.xaxis] = { title: { text: xTitle, font: { size: 10 } }, range: [0, Math.max(1, last)] };
    layout[a.yaxis] = { title: { text: "accuracy, multi-object (%)", font: { size: 10 } }, range: [0, 100] };
    (layout["annotations"] as unknown[]).push({ text: `<b>${f.family}</b> (n = ${f.n}; shortcut: ${f.shortcutStrategy})`, showarrow: false, xref: `${a.x} domain`, yref: `${a.y} domain`, x: 0.5, y: 1.14, font: { size: 11 } });
  });
  const l = axis(curves.families.length);
  const lossSteps = curves.steps.filter((_, i) => curves.loss[i] !== null);
  data.push({ type: "scatter", mode: "lines+markers", name: "training loss", x: lossSteps, y: curves.loss.filter((v): v is number => v !== null), line: { color: "#2ca02c" }, xaxis: l.x, yaxis: l.y });
  layout[l.xaxis] = { title: { text: xTitle, font: { size: 10 } }, range: [0, Math.max(1, last)] };
  layout[l.yaxis] = { title: { text: "loss (nats per answer token)", font: { size: 10 } }, rangemode: "tozero" };
  (layout["annotations"] as unknown[]).push({ text: "<b>training loss</b> (mean since the previous point)", showarrow: false, xref: `${l.x} domain`, yref: `${l.y} domain`, x: 0.5, y: 1.14, font: { size: 11 } });
  return { name, title: curves.title, data, layout, size: { width: 360 * columns, height: 300 * rows + 120 } };
}

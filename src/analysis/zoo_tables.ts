/** Tables of a model zoo: what was built, and what the probes measured on each tower and LLM. */
import type { ZooManifest } from "../zoo/zoo.js";
import type { TableView } from "./render.js";
import { PALETTE, type PlotlyFigure, type PlotlyTrace } from "./figures.js";

export const zooBytes = (manifest: ZooManifest): number => Object.values(manifest.entries).reduce((n, e) => n + e.bytes, 0);

export function zooView(manifest: ZooManifest): TableView {
  const entries = Object.values(manifest.entries);
  return {
    name: "zoo",
    title: `Model zoo (${manifest.preset}, seed ${manifest.seed})`,
    columns: ["entry", "objective", "parameters", "steps", "batch", "final loss", "minutes", "MB (fp16)", "backend"],
    rows: entries.map((e) => [e.name, e.objective, e.parameters, e.steps, e.batchSize, e.finalLoss, e.seconds / 60, e.bytes / 1e6, e.backend]),
    decimals: [undefined, undefined, 0, 0, 0, 3, 1, 1, undefined],
    notes: [`${entries.length} entries, ${(entries.reduce((n, e) => n + e.seconds, 0) / 60).toFixed(1)} min of training and probing, ${(zooBytes(manifest) / 1e6).toFixed(1)} MB.`],
  };
}

const TOWER_PROBES: [string, string][] = [
  ["themePooled", "theme (pooled)"],
  ["themePatch", "theme (patches)"],
  ["countPooled", "count (pooled)"],
  ["countPatch", "count (patches)"],
  ["coloursPooled", "colours (pooled)"],
  ["coloursPatch", "colours (patches)"],
  ["categoriesPooled", "categories (pooled)"],
  ["categoriesPatch", "categories (patches)"],
  ["patchObject", "object under patch"],
  ["patchColour", "colour under patch"],
  ["patchCategory", "category under patch"],
  ["reading", "sign digit"],
  ["retrieval", "retrieval R@1"],
];

export function towerProbeView(manifest: ZooManifest): TableView {
  const towers = Object.values(manifest.entries).filter((e) => e.kind === "tower");
  return {
    name: "tower_probes",
    title: "Tower probes (% on held-out scenes)",
    columns: ["probe", ...towers.map((t) => t.name)],
    rows: TOWER_PROBES.map(([key, label]) => [label, ...towers.map((t) => (t.probes[key] === undefined ? null : 100 * t.probes[key]!))]),
    decimals: [undefined, ...towers.map(() => 1)],
    notes: [
      "Linear (ridge) probes fitted on 3,000 training scenes. Chance: theme 20%, count 20%, colours/categories/object 50% (balanced accuracy), patch colour 12.5%, sign digit 10%, retrieval 1% (100 held-out images against their dense captions).",
    ],
  };
}

export function llmProbeView(manifest: ZooManifest): TableView {
  const llms = Object.values(manifest.entries).filter((e) => e.kind === "llm");
  const columns: [string, string][] = [
    ["held_out_ppl", "held-out perplexity"],
    ["held_out_bits_per_byte", "bits per byte"],
    ["knowledge_acc", "knowledge recall"],
    ["knowledge_verbatim_acc", "recall, training phrasing"],
    ["knowledge_chance", "chance"],
    ["choice_acc", "lettered choice"],
    ["choice_chance", "its chance"],
    ["choice_top_letter_share", "most chosen letter's share"],
  ];
  return {
    name: "llm_probes",
    title: "LLM probes (held-out text; knowledge and lettered multiple choice by forced choice)",
    columns: ["LLM", "parameters", ...columns.map(([, label]) => label)],
    rows: llms.map((l) => [l.name, l.parameters, ...columns.map(([key]) => l.probes[key] ?? null)]),
    decimals: [undefined, 0, 1, 3, 3, 3, 3, 3, 3, 2],
    notes: [
      "Per-kind knowledge accuracies are in each entry's probes (zoo.json).",
      "Lettered choice: 200 questions about described held-out scenes in LLaVA's multiple-choice format (2–5 options); the answer is the letter the LLM finds most likely as its reply. A most-chosen share of 1 means one letter for every item.",
    ],
  };
}

/** Loss curves of every zoo entry, towers and LLMs in two panels (each curve thinned to ≤ 200 points). */
export function zooLossFigure(manifest: ZooManifest): PlotlyFigure {
  const entries = Object.values(manifest.entries);
  const data: PlotlyTrace[] = entries.map((e, i) => ({
    type: "scatter",
    mode: "lines",
    name: `${e.name} (${e.objective})`,
    x: e.lossCurve.map((_, k) => Math.round(((k + 0.5) * e.steps) / e.lossCurve.length)),
    y: e.lossCurve,
    xaxis: e.kind === "tower" ? "x" : "x2",
    yaxis: e.kind === "tower" ? "y" : "y2",
    line: { color: PALETTE[i % PALETTE.length] },
  }));
  return {
    name: "zoo_losses",
    title: "Pretraining losses",
    data,
    layout: {
      title: { text: `Pretraining losses (${manifest.preset} zoo)` },
      grid: { rows: 1, columns: 2, pattern: "independent" },
      xaxis: { title: { text: "tower step" } },
      yaxis: { title: { text: "objective loss" } },
      xaxis2: { title: { text: "LLM step (all phases)" } },
      yaxis2: { title: { text: "next-token loss" } },
    },
    size: { width: 1000, height: 420 },
  };
}

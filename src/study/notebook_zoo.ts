/**
 * What the backbones notebook (02) does first: the model zoo of the notebook's preset, safe under a
 * notebook cell's time-out. The `tiny` zoo (a few steps, seconds) is built when missing; the `small`
 * one takes about 40 minutes and is built only on the opt-in that lets notebooks train
 * ($LLAVA_MORE_TRAIN=1). Without it the notebook shows the entries already built, and which zoo
 * weights the archived runs (results/<preset>, committed) were trained from, and names the command
 * that builds the rest.
 */
import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { generateDataset } from "../benchmarks/dataset.js";
import { notebookSteps, TRAIN_ENV, trainingOptedIn } from "../data/presets.js";
import type { Preset } from "../presets.js";
import type { TableView } from "../analysis/render.js";
import { isVisionFamily, type VisionFamily } from "../models/vision/config.js";
import type { VisionTower } from "../models/vision/vit.js";
import { buildZoo, defaultZooDir, loadZooTower, zooBuildKey, zooEntryNames, type ZooManifest } from "../zoo/zoo.js";
import { readJsonFile } from "../util/jsonl.js";
import { projectRoot } from "../util/paths.js";
import { archivedIds, archiveRoot } from "./archive.js";
import { evalSuffix, finishedResult } from "./run.js";
import { studyGrid } from "./grids.js";

/**
 * The `small` zoo's build, measured: `npx llava-more zoo --preset small --background` on a 2-core
 * machine (native backend, one thread, a LLaVA run on the other core) built the 12 entries in 39.6
 * minutes (the README's "The small zoo, measured").
 */
export const SMALL_ZOO_BUILD = { minutes: 39.6, entries: 12, machine: "2 cores" } as const;

/** How long building a preset's zoo takes, as far as it was measured. */
export function zooBuildTime(preset: Preset): string {
  if (preset === "tiny") return "seconds (a few steps per entry)";
  if (preset === "small") return `about ${Math.round(SMALL_ZOO_BUILD.minutes / 5) * 5} minutes on ${SMALL_ZOO_BUILD.machine}, measured ${SMALL_ZOO_BUILD.minutes} min for its ${SMALL_ZOO_BUILD.entries} entries`;
  return "hours (not measured at this preset; the small zoo takes 40 minutes)";
}

/** The command that builds a preset's zoo from a terminal, where no cell time-out cuts it off. */
export const zooCommand = (preset: Preset): string => `npm run zoo -- --preset ${preset}`;

export interface NotebookZoo {
  preset: Preset;
  dir: string;
  /** The entries built (all of them after a build); none when the zoo folder is empty. */
  manifest: ZooManifest;
  /** Entries built by this call. */
  built: string[];
  /** Entries neither built before nor now (no opt-in at `small`). */
  missing: string[];
}

/**
 * The zoo of the notebook's preset: built where missing at `tiny` or when training is opted in
 * ($LLAVA_MORE_TRAIN; `train` decides instead when given); otherwise only read, with the entries it lacks named and a
 * line saying how long building them takes and the command that does it.
 */
export async function notebookZoo(preset: Preset, options: { train?: boolean; log?: (line: string) => void } = {}): Promise<NotebookZoo> {
  const log = options.log ?? console.log;
  const { manifest: dataset } = await generateDataset({ preset, seed: 0, progress: false });
  const dir = defaultZooDir(preset, 0);
  if (options.train ?? (preset === "tiny" || trainingOptedIn())) {
    if (preset !== "tiny") log(`building the missing ${preset} zoo entries in this cell (${TRAIN_ENV} is set): ${zooBuildTime(preset)}`);
    const { manifest, built } = await buildZoo({ preset, steps: notebookSteps(preset), progress: preset !== "tiny" });
    return { preset, dir, manifest, built, missing: [] };
  }
  const file = join(dir, "zoo.json");
  const read: ZooManifest = existsSync(file) ? (readJsonFile(file) as ZooManifest) : { preset, seed: 0, dataset: dataset.key, entries: {} };
  // An entry counts when it is the build `npm run zoo` would make now from this dataset.
  const current = Object.values(read.entries).filter((e) => e.key === zooBuildKey(preset, 0, e.name, dataset));
  const manifest: ZooManifest = { ...read, entries: Object.fromEntries(current.map((e) => [e.name, e])) };
  const missing = zooEntryNames().filter((name) => manifest.entries[name] === undefined);
  if (missing.length > 0) {
    log(`the ${preset} zoo (${relative(projectRoot(), dir) || dir}) lacks ${missing.length} of its ${zooEntryNames().length} entries: ${missing.join(", ")}`);
    log(`building them takes ${zooBuildTime(preset)}: too long for a notebook cell; run \`${zooCommand(preset)}\` in a terminal (resumable), then this notebook again; or let the notebook build it: ${TRAIN_ENV}=1 npm run notebooks -- notebooks/02_backbones.ipynb (no cell time-out then)`);
  }
  return { preset, dir, manifest, built: [], missing };
}

/** The towers of the zoo that are built, loaded for the patch-similarity pictures. */
export function builtTowers(zoo: NotebookZoo): { name: VisionFamily; tower: VisionTower }[] {
  return Object.keys(zoo.manifest.entries)
    .filter(isVisionFamily)
    .map((family) => ({ name: family, ...loadZooTower(zoo.dir, family) }));
}

/**
 * The zoo entries behind the archived runs of a preset (results/<preset>, committed, as the files
 * hold them): each LLM and tower with what the runs record of it and the weights they were trained
 * from, so a clone without the zoo sees what the lab's results rest on.
 */
export function archivedZooView(preset: Preset): TableView {
  const archive = archiveRoot(preset);
  const suffix = evalSuffix({ evalLimit: studyGrid("quick", preset).evalLimit });
  const results = archivedIds(archive).flatMap((id) => finishedResult(join(archive, id), suffix) ?? []);
  const rows = new Map<string, { kind: string; detail: string; weights: Set<string>; runs: number }>();
  const count = (name: string, kind: string, detail: string, weights: string): void => {
    const row = rows.get(name) ?? { kind, detail, weights: new Set<string>(), runs: 0 };
    row.weights.add(weights.slice(0, 10));
    row.runs += 1;
    rows.set(name, row);
  };
  for (const r of results) {
    count(r.llm.name, "LLM", `${r.llm.family}, ${r.llm.parameters.toLocaleString("en-US")} parameters`, r.zooWeights?.llm ?? "");
    count(r.tower.family, "tower", `${r.tower.dim}-d features`, r.zooWeights?.tower ?? "");
  }
  const ordered = zooEntryNames().filter((name) => rows.has(name));
  return {
    name: "archived_zoo",
    title: `Zoo entries behind the archived runs (${results.length} runs in ${relative(projectRoot(), archive) || archive})`,
    columns: ["entry", "kind", "what the runs record", "runs", "weights (SHA-1, first 10)"],
    rows: ordered.map((name) => {
      const row = rows.get(name)!;
      return [name, row.kind, row.detail, row.runs, [...row.weights].filter(Boolean).join(", ")];
    }),
    notes: [
      `${ordered.length} of the zoo's ${zooEntryNames().length} entries trained the runs there are; one weights hash per entry means every run started from the same build.`,
      "Loss curves, probes and patch similarities need the zoo itself: see the line above for the command that builds it.",
    ],
  };
}

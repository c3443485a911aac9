import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPublishedScores, readPublishedScores } from "../src/analysis/published.js";
import { PAPER_COMPARISONS, comparisonDeltas, deltaRows } from "../src/analysis/comparisons.js";
import {
  KERNEL_STARTUP_SECONDS,
  cellSource,
  findJupyter,
  listNotebooks,
  nbconvertArguments,
  notebookProblems,
  numberExecutedCells,
  runNotebooks,
  type NotebookDocument,
} from "../src/jupyter/notebooks.js";
import { KERNEL_NAME } from "../src/jupyter/kernel.js";
import { TINY_BANNER } from "../src/jupyter/display.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool, tempDir } from "./helpers.js";

const NOTEBOOK = projectPath("notebooks", "01_published_results.ipynb");
const readNotebook = (path: string) => JSON.parse(readFileSync(path, "utf8")) as NotebookDocument;

test("notebooks use the workbench kernel and import the library, not copies of it", () => {
  assert.ok(listNotebooks().includes(NOTEBOOK));
  for (const path of listNotebooks()) {
    const nb = readNotebook(path);
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, path);
    for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
      const src = cellSource(cell);
      assert.doesNotMatch(src, /\bfunction\b|\bclass\b|=>\s*\{/, `${path}: library logic belongs in src/:\n${src}`);
      assert.equal(cell.outputs?.length ?? 0, 0, `${path}: commit notebooks without outputs`);
    }
  }
});

test("every decimal number in the notebook's prose is a published score or a computed delta", () => {
  const scores = loadPublishedScores();
  const printed = new Set(readPublishedScores().map((r) => r.score_text));
  const deltas = new Set(
    PAPER_COMPARISONS.flatMap((c) => deltaRows(comparisonDeltas(scores, c)).map((r) => r.delta.toFixed(1))),
  );
  const prose = readNotebook(NOTEBOOK).cells.filter((c) => c.cell_type === "markdown").map(cellSource).join("\n");
  // Numbers standing alone: not part of a name such as LLaMA-3.1-8B or a size such as 3.8B.
  const numbers = [...prose.matchAll(/(?<![\w.\-−+])([+−]?)(\d+\.\d+)(?![\w.\-])/g)];
  assert.ok(numbers.length > 60, `only ${numbers.length} numbers found`);
  for (const [, sign, value] of numbers) {
    if (sign) {
      const signed = (sign === "−" ? -1 : 1) * Number(value);
      assert.ok(deltas.has(signed.toFixed(1)), `${sign}${value} is not a delta of any comparison`);
    } else {
      const magnitude = deltas.has(value!) || deltas.has(`-${value}`);
      assert.ok(printed.has(value!) || magnitude, `${value} is neither a published score nor the size of a delta`);
    }
  }
});

test("the executed copies that jupyter nbconvert writes beside the notebooks are not notebooks to run", () => {
  const root = tempDir();
  mkdirSync(join(root, "notebooks"));
  for (const f of ["01_a.ipynb", "01_a.nbconvert.ipynb", "02_b.ipynb", "notes.md"]) writeFileSync(join(root, "notebooks", f), "{}");
  assert.deepEqual(listNotebooks(root), ["01_a.ipynb", "02_b.ipynb"].map((f) => join(root, "notebooks", f)));
});

test("nbconvert gives the kernel minutes to start, and a cell timeout of 0 means no limit", () => {
  const args = nbconvertArguments("notebooks/01.ipynb", "out", 600);
  assert.ok(args.includes(`--ExecutePreprocessor.startup_timeout=${KERNEL_STARTUP_SECONDS}`));
  assert.ok(KERNEL_STARTUP_SECONDS > 60, "nbclient's own default is 60 s, which a busy machine has exceeded");
  assert.ok(args.includes("--ExecutePreprocessor.timeout=600"));
  assert.ok(nbconvertArguments("n.ipynb", "out", 0).includes("--ExecutePreprocessor.timeout=-1"));
  assert.deepEqual(args.slice(-3), ["--output-dir", "out", "notebooks/01.ipynb"]);
});

test("error outputs and stderr in an executed notebook are reported", () => {
  const nb: NotebookDocument = {
    metadata: {},
    cells: [
      { cell_type: "code", source: "x", outputs: [{ output_type: "stream", name: "stdout", text: "fine" }] },
      { cell_type: "code", source: "y", outputs: [{ output_type: "error", ename: "TypeError", evalue: "boom" }] },
      { cell_type: "code", source: "z", outputs: [{ output_type: "stream", name: "stderr", text: ["1:5 - Cannot find name 'q'.\n"] }] },
    ],
  };
  assert.deepEqual(notebookProblems(nb), ["cell 2: TypeError: boom", "cell 3: stderr: 1:5 - Cannot find name 'q'."]);
});

test("executed code cells are numbered as the kernel ran them; markdown and blank cells get no number, counts there are kept", () => {
  const nb: NotebookDocument = {
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "# title" },
      { cell_type: "code", source: "a", execution_count: null },
      { cell_type: "code", source: ["  \n"], execution_count: null },
      { cell_type: "code", source: ["b", "c"] },
      { cell_type: "code", source: "d", execution_count: 3 },
    ],
  };
  assert.deepEqual(numberExecutedCells(nb).cells.map((c) => c.execution_count), [undefined, 1, null, 2, 3]);
});

test(
  "the visual-world notebook executes headless on the tiny preset and shows scenes, tables and baselines",
  { skip: requireTool(findJupyter() !== undefined, "Jupyter nbconvert not found (apt-get install jupyter-nbconvert jupyter-client)"), timeout: 300_000 },
  () => {
    const outDir = tempDir();
    process.env["LLAVA_MORE_PRESET"] = "tiny";
    process.env["LLAVA_MORE_DATA"] = tempDir();
    const runs = runNotebooks({ notebooks: [projectPath("notebooks", "00_visual_world.ipynb")], outDir });
    assert.ok(runs);
    assert.deepEqual(runs[0]?.problems, []);
    const executed = readNotebook(join(outDir, "00_visual_world.ipynb"));
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join("\n");
    assert.match(outputs, /generated .*tiny-seed0/);
    assert.match(outputs, /data:image\/png;base64,/);
    assert.match(outputs, /Printed-text legibility by tower resolution \(tiny preset\)/);
    assert.match(outputs, /Corpus proportions: configured vs generated/);
    assert.match(outputs, /<td>POPE<\/td><td style=\\"text-align:right\\">66\.7<\/td>/);
  },
);

test(
  "the backbones notebook builds a few-step tiny zoo and shows its losses, probe tables and patch similarities",
  { skip: requireTool(findJupyter() !== undefined, "Jupyter nbconvert not found (apt-get install jupyter-nbconvert jupyter-client)"), timeout: 900_000 },
  () => {
    const outDir = tempDir();
    process.env["LLAVA_MORE_PRESET"] = "tiny";
    process.env["LLAVA_MORE_DATA"] = tempDir();
    process.env["LLAVA_MORE_ZOO"] = tempDir();
    const runs = runNotebooks({ notebooks: [projectPath("notebooks", "02_backbones.ipynb")], outDir, timeoutSeconds: 900 });
    assert.ok(runs);
    assert.deepEqual(runs[0]?.problems, []);
    const executed = readNotebook(join(outDir, "02_backbones.ipynb"));
    const outputs = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join("\n");
    assert.match(outputs, /12 entries, built now: clip, siglip, siglip2, dinov2, dinov2-reg, vicuna-7b/);
    assert.match(outputs, /Model zoo \(tiny, seed 0\)/);
    assert.match(outputs, /Plotly\.newPlot/);
    assert.match(outputs, /Tower probes/);
    assert.match(outputs, /LLM probes \(held-out text; knowledge and lettered multiple choice by forced choice\)<\/h4>.*bits per byte/);
    assert.match(outputs, /similarity to the red patch/);
  },
);

test(
  "the published-results notebook executes headless through nbconvert with no error output",
  { skip: requireTool(findJupyter() !== undefined, "Jupyter nbconvert not found (apt-get install jupyter-nbconvert jupyter-client)"), timeout: 300_000 },
  () => {
    const outDir = tempDir();
    const runs = runNotebooks({ notebooks: [NOTEBOOK], outDir });
    assert.ok(runs);
    const [run] = runs;
    assert.deepEqual(run?.problems, []);
    const executed = readNotebook(join(outDir, "01_published_results.ipynb"));
    // The executed copy keeps each code cell's execution count (nbconvert alone leaves tslab's cells without one).
    const code = executed.cells.filter((c) => c.cell_type === "code");
    assert.deepEqual(code.map((c) => c.execution_count), code.map((_, i) => i + 1));
    const html = executed.cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join("\n");
    assert.match(html, /130 scores, 10 models, 13 benchmarks/);
    assert.match(html, /LLaVA-MORE README results/);
    assert.match(html, /Plotly\.newPlot/);
    assert.match(html, /<b>66\.7<\/b>/);
  },
);

test(
  "the five lab notebooks run their tiny grids headless and show scores, verdicts, interaction tests and the calibration files",
  { skip: requireTool(findJupyter() !== undefined, "Jupyter nbconvert not found (apt-get install jupyter-nbconvert jupyter-client)"), timeout: 1_200_000 },
  () => {
    const outDir = tempDir();
    process.env["LLAVA_MORE_PRESET"] = "tiny";
    process.env["LLAVA_MORE_DATA"] = tempDir();
    process.env["LLAVA_MORE_ZOO"] = tempDir();
    process.env["LLAVA_MORE_RUNS"] = tempDir();
    const studies = ["03_llm_comparison", "04_visual_backbones", "05_resolution_and_scale", "06_pretraining_data"];
    const names = [...studies, "07_calibration"];
    // Notebooks train only when opted in.
    process.env["LLAVA_MORE_TRAIN"] = "1";
    const runs = runNotebooks({ notebooks: names.map((n) => projectPath("notebooks", `${n}.ipynb`)), outDir, timeoutSeconds: 1200 });
    delete process.env["LLAVA_MORE_TRAIN"];
    assert.ok(runs);
    for (const run of runs) assert.deepEqual(run.problems, [], run.notebook);
    // Not opted in, a notebook reads the runs there are and trains none.
    const readOnly = tempDir();
    const again = runNotebooks({ notebooks: [projectPath("notebooks", "06_pretraining_data.ipynb")], outDir: readOnly });
    assert.deepEqual(again?.[0]?.problems, []);
    const reread = readNotebook(join(readOnly, "06_pretraining_data.ipynb")).cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join("\n");
    assert.match(reread, /runs at the tiny preset; \d+ read from the runs folder .*none trained \(training is opt-in: LLAVA_MORE_TRAIN=1\)/);
    assert.match(reread, /Lab scores: mean ± 95% interval half-width over seeds/);
    const outputs = (name: string): string =>
      readNotebook(join(outDir, `${name}.ipynb`)).cells.flatMap((c) => c.outputs ?? []).map((o) => JSON.stringify(o)).join("\n");
    for (const name of names) assert.ok(outputs(name).includes(TINY_BANNER), `${name}: the tiny preset's banner`);
    for (const name of studies) {
      const out = outputs(name);
      assert.match(out, /runs at the tiny preset/, name);
      assert.match(out, /Lab scores: mean ± 95% interval half-width over seeds/, name);
      assert.match(out, /Plotly\.newPlot/, name);
      assert.match(out, /stage-2 tokens\/s/, name);
    }
    assert.match(outputs("03_llm_comparison"), /vicuna-7b \+ clip @ 1x, short captions/);
    assert.match(outputs("04_visual_backbones"), /Finding 4 — /);
    // One line per run, updated in place (its last text kept), not a bar per training stage and benchmark.
    const trained = outputs("05_resolution_and_scale");
    const runLines = trained.match(/\[\d+\/\d+\] [\w.-]+__[\w.+-]+__s\d: finished in [\d.]+ (s|min) \(stage 1 \d+ steps, loss [\d.]+ → [\d.]+; stage 2 /g) ?? [];
    const gridRuns = Number(/(\d+) runs at the tiny preset/.exec(trained)?.[1]);
    // Runs an earlier notebook trained (the reference pairing) are reused, not trained again.
    const reused = Number(/: (\d+) of \d+ runs already finished/.exec(trained)?.[1] ?? 0);
    assert.equal(runLines.length, gridRuns - reused, `one finished line per trained run (${reused} reused):\n${runLines.join("\n")}`);
    assert.doesNotMatch(trained, /\] \d+% \d+\/\d+/, "no progress bar text");
    assert.match(outputs("05_resolution_and_scale"), /size × resolution interaction per benchmark/);
    assert.match(outputs("05_resolution_and_scale"), /updatemenus/);
    assert.match(outputs("06_pretraining_data"), /dense captions minus .*short captions \(lab only/);
    // The calibration notebook writes effects.csv and findings.md beside the runs at tiny, never into figures/lab.
    const calibration = outputs("07_calibration");
    const findings = join(process.env["LLAVA_MORE_RUNS"]!, "tiny", "findings");
    assert.match(calibration, /runs; wrote .*effects\.csv, .*findings\.md/);
    assert.match(calibration, /LLM family at equal size/);
    assert.match(calibration, /text-only prior/);
    assert.match(calibration, /image gap/);
    assert.match(calibration, /answered in form, a → b/);
    assert.match(calibration, /\| pairing \| ScienceQA \| AI2D \| POPE \| MME-P \| MME-C \|/, "the form table, one column per benchmark with a form");
    assert.match(readFileSync(join(findings, "findings.md"), "utf8"), /## Learned above the text-only baseline\?/);
    // The answer-habit view: its file, its section and the notebook's table of it.
    assert.match(calibration, /runs; wrote .*habit_effects\.csv/);
    assert.match(readFileSync(join(findings, "findings.md"), "utf8"), /## More than an answer habit\?/);
    assert.ok((calibration.match(/\| variable \| contrasts \| where it matters most \|/g) ?? []).length >= 2, "the variable table twice: headline scores and above the habits");
    assert.equal(readFileSync(join(findings, "effects.csv"), "utf8").split("\n")[0], "variable,level_a,level_b,benchmark,effect,seed_sd,n_seeds,z,p_welch,context");
  },
);

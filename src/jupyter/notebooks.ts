/** Runs the notebooks headless with Jupyter nbconvert and the workbench kernel, and checks their outputs. */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { installKernelSpec, projectJupyterDir } from "./kernel.js";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/paths.js";
import { trainingOptedIn } from "../data/presets.js";

export const JUPYTER_HINT =
  "Jupyter with nbconvert was not found: on Debian `apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client`, or `pip install nbconvert` into your Jupyter";

/** The `jupyter` command if it can run nbconvert, else undefined. */
export function findJupyter(): string | undefined {
  const command = process.env["JUPYTER"] ?? "jupyter";
  const probe = spawnSync(command, ["nbconvert", "--version"], { encoding: "utf8", timeout: 60_000 });
  return probe.status === 0 ? command : undefined;
}

/**
 * The project's notebooks, not the executed copies that `jupyter nbconvert --execute` writes beside
 * them (`*.nbconvert.ipynb`, git-ignored).
 */
export function listNotebooks(root: string = projectRoot()): string[] {
  const dir = join(root, "notebooks");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ipynb") && !f.endsWith(".nbconvert.ipynb"))
    .sort()
    .map((f) => join(dir, f));
}

interface NotebookOutput {
  output_type: string;
  name?: string;
  ename?: string;
  evalue?: string;
  text?: string | string[];
}
interface NotebookCell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: NotebookOutput[];
}
export interface NotebookDocument {
  cells: NotebookCell[];
  metadata: { kernelspec?: { name?: string } };
}

export const cellSource = (cell: NotebookCell): string => (Array.isArray(cell.source) ? cell.source.join("") : cell.source);

/** Error outputs and stderr text of an executed notebook, one line each (empty when clean). */
export function notebookProblems(nb: NotebookDocument): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    for (const out of cell.outputs ?? []) {
      if (out.output_type === "error") problems.push(`cell ${i + 1}: ${out.ename ?? "error"}: ${out.evalue ?? ""}`);
      if (out.output_type === "stream" && out.name === "stderr") {
        const text = Array.isArray(out.text) ? out.text.join("") : (out.text ?? "");
        problems.push(`cell ${i + 1}: stderr: ${text.trim().split("\n")[0]}`);
      }
    }
  });
  return problems;
}

/**
 * Numbers the code cells of a notebook executed top to bottom as the kernel counted them: 1, 2, …
 * over the cells with code (nbclient skips blank ones). nbconvert 6 takes a cell's count only from
 * the kernel's execute_input and execute_result messages, which tslab does not send, so its executed
 * copies had none. Counts already there are kept.
 */
export function numberExecutedCells(nb: NotebookDocument): NotebookDocument {
  let count = 0;
  const cells = nb.cells.map((cell) => {
    if (cell.cell_type !== "code" || cellSource(cell).trim() === "") return cell;
    count += 1;
    return cell.execution_count == null ? { ...cell, execution_count: count } : cell;
  });
  return { ...nb, cells };
}

export interface NotebookRun {
  notebook: string;
  executed: string;
  ok: boolean;
  seconds: number;
  problems: string[];
}

export interface RunNotebooksOptions {
  notebooks?: string[];
  outDir?: string;
  /**
   * Per-cell time-out; 0 for none. Default 600 s, and none when training is opted in
   * ($LLAVA_MORE_TRAIN): a cell that trains runs for hours and must not be cut off.
   */
  timeoutSeconds?: number;
  log?: (line: string) => void;
}

/**
 * How long the kernel may take to start. nbclient waits 60 s by default; tslab compiles its
 * TypeScript runtime on start, which on two busy cores (the test suite beside a training run)
 * has taken longer, and the notebook then fails before its first cell.
 */
export const KERNEL_STARTUP_SECONDS = 600;

/** nbconvert's arguments to execute one notebook into outDir; cellTimeout 0 means no limit per cell. */
export function nbconvertArguments(notebook: string, outDir: string, cellTimeout: number): string[] {
  return [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.timeout=${cellTimeout > 0 ? cellTimeout : -1}`,
    `--ExecutePreprocessor.startup_timeout=${KERNEL_STARTUP_SECONDS}`,
    "--output-dir",
    outDir,
    notebook,
  ];
}

/** Executes each notebook into outDir; returns undefined when Jupyter is absent. */
export function runNotebooks(options: RunNotebooksOptions = {}): NotebookRun[] | undefined {
  const log = options.log ?? (() => {});
  const jupyter = findJupyter();
  if (!jupyter) return undefined;
  const root = projectRoot();
  installKernelSpec({ root, user: false });
  const outDir = options.outDir ?? join(root, "notebooks", "executed");
  const env = {
    ...process.env,
    JUPYTER_PATH: [projectJupyterDir(root), process.env["JUPYTER_PATH"]].filter(Boolean).join(delimiter),
  };
  const timeout = options.timeoutSeconds ?? (trainingOptedIn() ? 0 : 600);
  const runs: NotebookRun[] = [];
  for (const notebook of options.notebooks ?? listNotebooks(root)) {
    log(`executing ${notebook} …`);
    const started = Date.now();
    const result = spawnSync(jupyter, nbconvertArguments(notebook, outDir, timeout), { cwd: root, env, encoding: "utf8" });
    const executed = join(outDir, basename(notebook));
    const problems: string[] = [];
    if (result.status !== 0) {
      const lines = `${result.stderr ?? ""}`.trim().split("\n");
      problems.push(`nbconvert exited with ${result.status ?? result.signal}: ${lines.slice(-12).join("\n")}`);
    }
    if (existsSync(executed) && result.status === 0) {
      const nb = numberExecutedCells(JSON.parse(readFileSync(executed, "utf8")) as NotebookDocument);
      writeFileAtomic(executed, `${JSON.stringify(nb, null, 1)}\n`);
      problems.push(...notebookProblems(nb));
    }
    const run = { notebook, executed, ok: problems.length === 0, seconds: (Date.now() - started) / 1000, problems };
    log(`${run.ok ? "ok" : "FAILED"} ${notebook} (${run.seconds.toFixed(1)} s)${run.ok ? ` -> ${executed}` : ""}`);
    for (const p of problems) log(`  ${p}`);
    runs.push(run);
  }
  return runs;
}

/** The published tier's commands of the CLI: its figures, the notebooks and their Jupyter kernel. */
import { installKernelSpec, KERNEL_NAME } from "../jupyter/kernel.js";
import { JUPYTER_HINT, runNotebooks } from "../jupyter/notebooks.js";
import { projectRoot } from "../util/paths.js";
import { show, type Command } from "./args.js";

export const PUBLISHED_COMMANDS: Record<string, Command> = {
  figures: {
    summary: "regenerate every published-tier table and figure into figures/published/ (the main job: npm start)",
    usage: "llava-more figures [--out DIR] [--no-static]",
    options: {
      out: { type: "string", description: "output folder (default figures/published)" },
      "no-static": { type: "boolean", description: "write HTML, CSV and Markdown only; skip PNG/SVG through Chromium" },
    },
    async run(values) {
      const started = Date.now();
      const { writePublishedReport } = await import("../analysis/report.js");
      const result = await writePublishedReport({
        outDir: typeof values["out"] === "string" ? values["out"] : undefined,
        staticImages: values["no-static"] !== true,
        log: (line) => console.log(line.replace(/^wrote (.*)$/, (_, p: string) => `wrote ${show(p)}`)),
      });
      const counts = new Map<string, number>();
      for (const p of result.written) {
        const ext = p.slice(p.lastIndexOf(".") + 1);
        counts.set(ext, (counts.get(ext) ?? 0) + 1);
      }
      const summary = [...counts].map(([ext, n]) => `${n} ${ext}`).join(", ");
      console.log(`\n${result.written.length} files (${summary}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (result.staticSkipped) console.log(`PNG/SVG not written: ${result.staticSkipped}`);
      return 0;
    },
  },
  notebooks: {
    summary: "execute every notebook headless through Jupyter nbconvert with the workbench kernel; the lab notebooks read the results archive and train only with LLAVA_MORE_TRAIN=1",
    usage: "llava-more notebooks [--out DIR] [--timeout SECONDS] [NOTEBOOK.ipynb ...]",
    options: {
      out: { type: "string", description: "folder for the executed copies (default notebooks/executed)" },
      timeout: { type: "string", description: "per-cell timeout in seconds, 0 for none (default 600; none with LLAVA_MORE_TRAIN=1)" },
    },
    async run(values, positionals) {
      const timeout = typeof values["timeout"] === "string" ? Number(values["timeout"]) : undefined;
      if (timeout !== undefined && !(timeout >= 0)) throw new Error(`--timeout: expected a number of seconds (0 for none), got "${values["timeout"]}"`);
      const runs = runNotebooks({
        notebooks: positionals.length > 0 ? positionals : undefined,
        outDir: typeof values["out"] === "string" ? values["out"] : undefined,
        timeoutSeconds: timeout,
        log: console.log,
      });
      if (runs === undefined) {
        console.log(`notebooks skipped: ${JUPYTER_HINT}`);
        return 0;
      }
      const failed = runs.filter((r) => !r.ok);
      console.log(`\n${runs.length - failed.length} of ${runs.length} notebooks ran clean`);
      return failed.length === 0 ? 0 : 1;
    },
  },
  kernel: {
    summary: `write the Jupyter kernelspec "${KERNEL_NAME}" (tslab, started in the project root)`,
    usage: "llava-more kernel [--project-only] [--quiet]",
    options: {
      "project-only": { type: "boolean", description: "write only the project's .jupyter/ copy, not the user's Jupyter folder" },
      quiet: { type: "boolean", description: "print nothing on success" },
    },
    async run(values) {
      // The warning is printed with --quiet too (postinstall): it names a checkout whose notebooks change kernel.
      const { paths } = installKernelSpec({ user: values["project-only"] !== true, warn: (line) => console.error(line) });
      if (values["quiet"] !== true) {
        for (const p of paths) console.log(`wrote ${p}`);
        console.log(`Jupyter now lists the kernel "${KERNEL_NAME}"; its cells run in ${projectRoot()}.`);
      }
      return 0;
    },
  },
};

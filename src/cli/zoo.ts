/** The zoo command of the CLI: pretrain a preset's towers and LLMs into the model zoo. */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { PRESETS, type Preset } from "../presets.js";
import { buildZoo, defaultZooDir, zooEntryNames } from "../zoo/zoo.js";
import { tableToMarkdown } from "../analysis/render.js";
import { zooBytes, zooView } from "../analysis/zoo_tables.js";
import { adviseBackend, describeBackend, initBackend } from "../backend/index.js";
import { describeKernelBuild, portableUnlessSet } from "../backend/kernel_build.js";
import { oneOf, seedOption, show, type Command } from "./args.js";

/** Re-runs this CLI detached, output appended to <dir>/build.log; returns the log's path. */
function startInBackground(dir: string, args: string[]): string {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "build.log");
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { detached: true, stdio: ["ignore", fd, fd], cwd: process.cwd(), env: process.env });
  child.unref();
  closeSync(fd);
  return log;
}

export const ZOO_COMMANDS: Record<string, Command> = {
  zoo: {
    summary: "pretrain every vision tower and LLM of a preset into the model zoo (skips what is built; resumes after a crash)",
    usage: "llava-more zoo [--preset tiny|small|base] [--seed N] [--out DIR] [--only NAME,...] [--background]",
    options: {
      preset: { type: "string", description: "model and data preset (default small)" },
      seed: { type: "string", description: "seed of the data and every model (default 0)" },
      out: { type: "string", description: "zoo folder (default data/zoo/<preset>)" },
      only: { type: "string", description: `comma-separated entries to build: ${zooEntryNames().join(", ")}` },
      background: { type: "boolean", description: "build in a detached process, logging to <zoo>/build.log" },
    },
    async run(values) {
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const seed = seedOption("seed", values["seed"], 0, "a non-negative integer")!;
      const dir = typeof values["out"] === "string" ? values["out"] : defaultZooDir(preset, seed);
      const only = typeof values["only"] === "string" ? values["only"].split(",").map((s) => s.trim()).filter(Boolean) : undefined;
      if (values["background"] === true) {
        const log = startInBackground(dir, process.argv.slice(2).filter((a) => a !== "--background"));
        console.log(`building the ${preset} zoo in the background; follow it with: tail -f ${show(log)}`);
        console.log("stopping it is safe: run the same command again and it resumes where it stopped");
        return 0;
      }
      // The zoo serves the study grids, which run the portable bits: it is built the same way unless LLAVA_MORE_PORTABLE_BITS says otherwise.
      portableUnlessSet();
      await initBackend();
      console.log(`${describeBackend()}; ${describeKernelBuild()}`);
      adviseBackend();
      const started = Date.now();
      const { manifest, built, skipped } = await buildZoo({ preset, seed, dir, only, log: console.log });
      if (skipped.length > 0) console.log(`already built: ${skipped.join(", ")}`);
      console.log(`\n${tableToMarkdown(zooView(manifest))}`);
      console.log(`${built.length} built in ${((Date.now() - started) / 60000).toFixed(1)} min; zoo ${show(dir)} holds ${(zooBytes(manifest) / 1e6).toFixed(1)} MB`);
      return 0;
    },
  },
};

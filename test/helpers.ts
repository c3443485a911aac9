import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultScoresFile } from "../src/analysis/published.js";

export const tempDir = (prefix = "llava-more-test-"): string => mkdtempSync(join(tmpdir(), prefix));

/** The real scores file with `edit` applied to its lines (line 1 is the header), written to a temp file. */
export function editedScoresFile(edit: (lines: string[]) => string[]): string {
  const lines = readFileSync(defaultScoresFile(), "utf8").trimEnd().split("\n");
  const path = join(tempDir(), "scores.csv");
  writeFileSync(path, `${edit(lines).join("\n")}\n`);
  return path;
}

/** In CI a missing system tool is a failure; on a developer machine the test is skipped with the reason. */
export function requireTool(available: boolean, hint: string): string | false {
  if (available) return false;
  if (process.env["CI"]) throw new Error(`required in CI: ${hint}`);
  return hint;
}

/** A tiny generated dataset in a temp folder, generated once per test file. */
let tiny: Promise<string> | undefined;
export function tinyDataset(): Promise<string> {
  tiny ??= (async () => {
    const { generateDataset } = await import("../src/benchmarks/dataset.js");
    const dir = join(tempDir(), "tiny");
    await generateDataset({ preset: "tiny", seed: 0, outDir: dir, progress: false });
    return dir;
  })();
  return tiny;
}

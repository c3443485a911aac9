import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCHMARKS, TASK_NAMES } from "../src/benchmarks/registry.js";
import { DATASET_PRESETS } from "../src/benchmarks/dataset.js";

// A benchmark is its folder: src/benchmarks/<b>/ with generate.ts (the world analogue, with its size)
// and task.ts (the lmms-eval scoring), one registry entry per task it holds, a fixture of predictions
// per task (test/fixtures/predictions/<name>.jsonl) and its tests (test/benchmarks/<b>.test.ts).
const root = join(import.meta.dirname, "..");
const benchmarksDir = join(root, "src", "benchmarks");
const folders = readdirSync(benchmarksDir)
  .filter((f) => statSync(join(benchmarksDir, f)).isDirectory())
  .sort();
const exportsOf = async (folder: string, file: string): Promise<unknown[]> => {
  const path = join(benchmarksDir, folder, file);
  return existsSync(path) ? Object.values((await import(pathToFileURL(path).href)) as Record<string, unknown>) : [];
};
const testFile = (path: string): string => readFileSync(join(root, path), "utf8");

/** The folder each registered task comes from: the one whose task.ts and generate.ts export its task and generator. */
async function folderOfTask(): Promise<Map<string, string>> {
  const folderOf = new Map<string, string>();
  for (const folder of folders) {
    const tasks = await exportsOf(folder, "task.ts");
    const generators = await exportsOf(folder, "generate.ts");
    for (const name of TASK_NAMES) {
      const { task, generator } = BENCHMARKS[name];
      if (tasks.includes(task)) {
        assert.ok(generators.includes(generator), `${name}: its task is in src/benchmarks/${folder}/task.ts but its generator is not in ${folder}/generate.ts`);
        folderOf.set(name, folder);
      }
    }
  }
  return folderOf;
}

test("every benchmark folder has generate.ts and task.ts, and the folders are the registry's", async () => {
  for (const folder of folders) {
    for (const file of ["generate.ts", "task.ts"]) assert.ok(existsSync(join(benchmarksDir, folder, file)), `src/benchmarks/${folder}/${file} is missing`);
  }
  // Each registered task and generator comes from one folder's task.ts and generate.ts.
  const folderOf = await folderOfTask();
  for (const name of TASK_NAMES) assert.ok(folderOf.has(name), `${name} is registered, but no src/benchmarks/<b>/task.ts exports its task`);
  assert.deepEqual([...new Set(folderOf.values())].sort(), folders, "every folder under src/benchmarks/ holds a registered benchmark");
});

test("every registered benchmark is named alike by its task and its generator", () => {
  for (const name of TASK_NAMES) {
    assert.equal(BENCHMARKS[name].task.name, name);
    assert.equal(BENCHMARKS[name].generator.task, name);
  }
});

test("no benchmark folder imports another", () => {
  for (const folder of folders) {
    for (const file of readdirSync(join(benchmarksDir, folder)).filter((f) => f.endsWith(".ts"))) {
      const text = readFileSync(join(benchmarksDir, folder, file), "utf8");
      for (const [, spec] of text.matchAll(/from\s+["'](\.[^"']+)["']/g)) {
        const other = folders.find((f) => f !== folder && spec!.startsWith(`../${f}/`));
        assert.equal(other, undefined, `src/benchmarks/${folder}/${file} imports ${spec}`);
      }
    }
  }
});

test("every registered benchmark has its size, its fixture and its test file, and every test file a benchmark", async () => {
  const folderOf = await folderOfTask();
  for (const name of TASK_NAMES) {
    // Its size at dataset scale 1 (its generator's itemsPerScale), which every dataset preset scales.
    const { itemsPerScale } = BENCHMARKS[name].generator;
    assert.ok(Number.isFinite(itemsPerScale) && itemsPerScale > 0, `${name}: its generator's itemsPerScale is ${String(itemsPerScale)}, not a positive number`);
    for (const [preset, config] of Object.entries(DATASET_PRESETS)) assert.ok(config.benchmarkSizes[name] !== undefined, `${name}: no benchmark size in the ${preset} dataset preset`);
    // Real lmms-eval or plain predictions scored with hand-computed values by its test file.
    assert.ok(existsSync(join(root, "test", "fixtures", "predictions", `${name}.jsonl`)), `${name}: no test/fixtures/predictions/${name}.jsonl`);
    // Its test file, test/benchmarks/<folder>.test.ts: the checks every benchmark passes (test/benchmarks/checks.ts) and its own cases.
    const path = join("test", "benchmarks", `${folderOf.get(name) ?? name}.test.ts`);
    const call = `benchmarkChecks(${JSON.stringify(name)}`;
    assert.ok(existsSync(join(root, path)) && testFile(path).includes(call), `${name}: ${path} is missing or does not call ${call})`);
  }
  const files = readdirSync(join(root, "test", "benchmarks")).filter((f) => f.endsWith(".test.ts"));
  assert.deepEqual(files.sort(), folders.map((f) => `${f}.test.ts`), "a test file under test/benchmarks/ without its benchmark folder");
});

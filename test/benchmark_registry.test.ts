import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BENCHMARKS, TASK_NAMES } from "../src/benchmarks/registry.js";
import { DATASET_PRESETS } from "../src/benchmarks/dataset.js";

// A benchmark is its folder: src/benchmarks/<b>/ with generate.ts (the world analogue) and task.ts
// (the lmms-eval scoring), one registry entry per task it holds, and its tests.
const root = join(import.meta.dirname, "..");
const benchmarksDir = join(root, "src", "benchmarks");
const folders = readdirSync(benchmarksDir)
  .filter((f) => statSync(join(benchmarksDir, f)).isDirectory())
  .sort();
const exportsOf = async (folder: string, file: string): Promise<unknown[]> => {
  const path = join(benchmarksDir, folder, file);
  return existsSync(path) ? Object.values((await import(pathToFileURL(path).href)) as Record<string, unknown>) : [];
};
const testFile = (name: string): string => readFileSync(join(root, "test", name), "utf8");

test("every benchmark folder has generate.ts and task.ts, and the folders are the registry's", async () => {
  for (const folder of folders) {
    for (const file of ["generate.ts", "task.ts"]) assert.ok(existsSync(join(benchmarksDir, folder, file)), `src/benchmarks/${folder}/${file} is missing`);
  }
  // Each registered task and generator comes from one folder's task.ts and generate.ts.
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

test("every registered benchmark has its sizes, its fixture and its tests", () => {
  const evalTasks = testFile("eval_tasks.test.ts");
  const benchmarks = testFile("benchmarks.test.ts");
  for (const name of TASK_NAMES) {
    for (const [preset, config] of Object.entries(DATASET_PRESETS)) assert.ok(config.benchmarkSizes[name] !== undefined, `${name}: no benchmark size in the ${preset} dataset preset`);
    // Real lmms-eval or plain predictions scored with hand-computed values (test/eval_tasks.test.ts).
    assert.ok(existsSync(join(root, "test", "fixtures", "predictions", `${name}.jsonl`)), `${name}: no test/fixtures/predictions/${name}.jsonl`);
    assert.ok(evalTasks.includes(`score("${name}")`), `${name}: test/eval_tasks.test.ts does not score its fixture`);
    assert.ok(evalTasks.includes(`"${name}"`) || evalTasks.includes(` ${name}: `), `${name}: test/eval_tasks.test.ts does not list it`);
    // The generated files pass the task's parser and score full marks with their targets (test/benchmarks.test.ts).
    assert.ok(benchmarks.includes(`"${name}"`), `${name}: test/benchmarks.test.ts does not list it`);
  }
});

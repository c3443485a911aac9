import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectPath, projectRoot } from "../src/util/paths.js";
import { KERNEL_NAME, kernelSpec, kernelSpecRoot } from "../src/jupyter/kernel.js";
import { tempDir } from "./helpers.js";

const BIN = projectPath("bin", "llava-more.js");
const cli = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = tempDir()) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd, env: { ...process.env, ...env } });

test("--help lists the commands; an unknown command or flag exits 2 with the usage", () => {
  const help = cli(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /figures\s+regenerate every published-tier table and figure/);
  assert.match(help.stdout, /notebooks\s+execute every notebook/);
  assert.match(cli(["figures", "--help"]).stdout, /--no-static\s+write HTML, CSV and Markdown only/);
  const unknown = cli(["train-everything"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "train-everything"/);
  const badFlag = cli(["figures", "--colour"]);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /Unknown option '--colour'[\s\S]*Usage: llava-more figures/);
});

test("figures --no-static writes every table as CSV and Markdown and every figure as HTML, from any folder", () => {
  const out = tempDir();
  const run = cli(["figures", "--no-static", "--out", out]);
  assert.equal(run.status, 0, run.stderr);
  const tables = readdirSync(join(out, "tables"));
  for (const name of ["readme_results", "normalised_scores", "average_rank", "deltas", "delta_siglip_vs_clip", "model_configs"]) {
    assert.ok(tables.includes(`${name}.csv`) && tables.includes(`${name}.md`), name);
  }
  assert.equal(tables.filter((f) => f.startsWith("delta_")).length, 2 * 9);
  for (const name of ["radar", "radar_relative", "llm_scale", "backbone_deltas", "s2_deltas", "heatmap"]) {
    assert.ok(existsSync(join(out, `${name}.html`)), name);
  }
  assert.ok(existsSync(join(out, "findings.md")));
  const csv = readFileSync(join(out, "tables", "readme_results.csv"), "utf8").split("\n");
  assert.equal(csv[0], "Model Name,GQA,Science-QA,Text-VQA*,AI2D,POPE,MME-P,MME-C,MMBench-En,MMBench-Cn,SEED-all,SEED-img,SEED-vid,MMMU");
  assert.equal(csv[1], "LLaVA-v1.5-7B,62.4,69.0,58.2,56.4,85.6,1474.3,314.6,65.3,56.5,61.6,66.8,42.0,34.2");
  const summary = /(\d+) files \(([^)]*)\)/.exec(run.stdout);
  assert.ok(summary, run.stdout);
  assert.deepEqual(summary[2]!.split(", ").sort(), ["1 js", "14 csv", "15 md", "6 html"]);
});

test("kernel writes a kernelspec that starts tslab in the project root", () => {
  const dataDir = tempDir();
  const run = cli(["kernel"], { JUPYTER_DATA_DIR: dataDir });
  assert.equal(run.status, 0, run.stderr);
  const spec = JSON.parse(readFileSync(join(dataDir, "kernels", KERNEL_NAME, "kernel.json"), "utf8")) as ReturnType<typeof kernelSpec>;
  assert.deepEqual(spec, kernelSpec(projectRoot()));
  assert.equal(spec.argv.at(-1), "{connection_file}");
  assert.match(spec.argv[2]!, new RegExp(`^cd '${projectRoot()}' && exec .*tslab' kernel --config-path "\\$0"$`));
});

test("kernel warns before it replaces a kernelspec that runs another checkout, and names the folder it runs", () => {
  const dataDir = tempDir();
  const file = join(dataDir, "kernels", KERNEL_NAME, "kernel.json");
  mkdirSync(join(dataDir, "kernels", KERNEL_NAME), { recursive: true });
  const other = "/home/someone/llava-more-other's";
  writeFileSync(file, JSON.stringify(kernelSpec(other, "/usr/bin/node")));
  assert.equal(kernelSpecRoot(file), other);
  // An older spec without LLAVA_MORE_ROOT: the checkout is read from its argv.
  writeFileSync(file, JSON.stringify({ ...kernelSpec(other, "/usr/bin/node"), env: undefined }));
  assert.equal(kernelSpecRoot(file), other);
  const run = cli(["kernel", "--quiet"], { JUPYTER_DATA_DIR: dataDir });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "");
  assert.match(run.stderr, new RegExp(`warning: the kernel "${KERNEL_NAME}" .* ran the notebooks of another checkout, ${other.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; it now runs ${projectRoot()}`));
  assert.equal(kernelSpecRoot(file), projectRoot());
  assert.equal(kernelSpec(projectRoot()).display_name, `TypeScript (llava-more: ${projectRoot().split("/").at(-1)})`);
  // Written again from the same checkout: no warning.
  assert.equal(cli(["kernel", "--quiet"], { JUPYTER_DATA_DIR: dataDir }).stderr, "");
});

test("kernel paths with quotes are shell-quoted", () => {
  const spec = kernelSpec("/tmp/it's here", "/usr/bin/node");
  assert.equal(spec.argv[2], `cd '/tmp/it'\\''s here' && exec '/usr/bin/node' '/tmp/it'\\''s here/node_modules/tslab/bin/tslab' kernel --config-path "$0"`);
});

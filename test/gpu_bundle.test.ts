import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { registerWebGpuBackend } from "../src/backend/webgpu.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool, tempDir } from "./helpers.js";

// The bundle is tested end to end on the software adapter, which CI installs.
let adapterProblem: string | undefined;
try {
  await registerWebGpuBackend({ allowSoftware: true });
} catch (err) {
  adapterProblem = (err as Error).message;
}
const skip = requireTool(adapterProblem === undefined, `no WebGPU adapter: ${adapterProblem}`);

const hasVulkanLoader = ["/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib", "/lib64"].some((d) => existsSync(join(d, "libvulkan.so.1")));

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

test("npm run gpu-bundle writes a bundle under 64 MiB whose run.sh benches on the adapter, and stops with a clear message where there is no GPU", { skip, timeout: 600_000 }, () => {
  const root = tempDir();
  const bundle = join(root, "bundle");
  const built = spawnSync(process.execPath, ["--import", "tsx", projectPath("bench", "gpu_bundle.ts"), "--out", bundle], { cwd: projectPath(), encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  assert.ok(folderBytes(bundle) <= 64 * 2 ** 20, `bundle is ${folderBytes(bundle)} bytes`);
  for (const f of ["run.sh", "node.gz", "dawn.node.gz", "app/bench.mjs", "app/check.mjs", "app/node_modules/webgpu/index.js"]) assert.ok(existsSync(join(bundle, f)), f);

  // No Node on the PATH and the working folder outside the project: the bundle brings what it needs.
  const env = { PATH: "/usr/bin:/bin", HOME: root, LLAVA_MORE_BUNDLE_WORK: join(root, "work") };
  // The software adapter's bench ran past 240 s with both cores busy (a study grid beside the tests).
  const run = (out: string, extra: Record<string, string>, args: string[] = []) =>
    spawnSync(join(bundle, "run.sh"), [out, ...args], { cwd: root, env: { ...env, ...extra }, encoding: "utf8", timeout: 540_000 });

  if (!hasVulkanLoader) {
    const noLoader = run(join(root, "out-none"), {});
    assert.equal(noLoader.status, 4, noLoader.stderr);
    assert.match(noLoader.stderr, /run\.sh: no Vulkan loader \(libvulkan\.so\.1\)/);
  }
  // A loader but no GPU driver: found, then a clear stop naming what is missing.
  const fakeLib = join(root, "fake-lib");
  mkdirSync(fakeLib);
  writeFileSync(join(fakeLib, "libvulkan.so.1"), "");
  const noDriver = run(join(root, "out-nodriver"), { LD_LIBRARY_PATH: fakeLib });
  assert.equal(noDriver.status, 5, noDriver.stderr);
  assert.match(noDriver.stderr, /run\.sh: no GPU Vulkan driver/);
  // A driver that does not work: the adapter check fails, within its time limit, and says so.
  const badIcd = join(root, "bad_icd.json");
  writeFileSync(badIcd, JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: join(fakeLib, "libnothing.so"), api_version: "1.3.0" } }));
  const badDriver = run(join(root, "out-bad"), { LD_LIBRARY_PATH: fakeLib, VK_ICD_FILENAMES: badIcd });
  assert.equal(badDriver.status, 6, badDriver.stderr);
  assert.match(badDriver.stderr, /run\.sh: no usable WebGPU adapter/);

  // The software adapter, end to end: adapter recorded, one bench row (its batch doubled), results JSON.
  const out = join(root, "out");
  const ok = run(out, { LLAVA_MORE_SOFTWARE_GPU: "1" }, ["--only", "ViT 64px", "--steps", "1", "--leak-steps", "3", "--batch-scale", "2"]);
  assert.equal(ok.status, 0, `${ok.stdout}\n${ok.stderr}`);
  const adapter = JSON.parse(readFileSync(join(out, "adapter.json"), "utf8")) as { adapter: { software: boolean } };
  assert.equal(adapter.adapter.software, true);
  const resultFile = readdirSync(out).find((f) => /^webgpu-.*\.json$/.test(f));
  assert.ok(resultFile, `no results in ${readdirSync(out).join(", ")}`);
  const result = JSON.parse(readFileSync(join(out, resultFile), "utf8")) as { adapter: { description: string }; results: { backend: string; rows: { name: string; rate: number; shape: string }[] }[]; leak: { tensorsBefore: number; tensorsAfter: number } };
  assert.equal(result.results[0]!.backend, "webgpu");
  assert.equal(result.results[0]!.rows.length, 1);
  assert.ok(result.results[0]!.rows[0]!.rate > 0);
  assert.match(result.results[0]!.rows[0]!.shape, /batch 64$/, "--batch-scale 2 doubles the row's batch of 32");
  assert.equal(result.leak.tensorsAfter, result.leak.tensorsBefore);
  assert.match(result.adapter.description, /\S/);
});

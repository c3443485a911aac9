/**
 * `npm run gpu-bundle [-- --out DIR]`: one folder (at most 64 MiB) that runs the benchmark on an
 * offline linux-x64 GPU node with no Node installed — this machine's Node binary and Dawn's linux-x64
 * binary, gzip-compressed; the bench and the adapter check bundled by esbuild with TF.js and the WebGPU
 * backend inside; the `webgpu` package pruned to its loader; `run.sh` (see bench/run.sh). Written to a
 * temporary folder and renamed into place.
 */
import { build } from "esbuild";
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { projectPath } from "../src/util/paths.js";

const LIMIT_BYTES = 64 * 2 ** 20;

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

/** Writes FILE.gz and FILE.gz.size (the uncompressed length, which run.sh checks an unpacked copy against). */
function gzipInto(source: string, target: string): void {
  const data = readFileSync(source);
  writeFileSync(target, gzipSync(data, { level: 9 }));
  writeFileSync(`${target}.size`, `${data.length}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: "string" } }, strict: true });
  if (process.platform !== "linux" || process.arch !== "x64") throw new Error(`the bundle ships this machine's Node binary and targets linux-x64 GPU nodes; this is ${process.platform}-${process.arch}`);
  const out = values.out ?? projectPath("dist", "gpu-bundle");
  const tmp = `${out}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  const app = join(tmp, "app");
  mkdirSync(app, { recursive: true });

  console.log("gpu-bundle: bundling the bench and the adapter check (esbuild)");
  await build({
    entryPoints: { bench: projectPath("bench", "bench.ts"), check: projectPath("bench", "gpu_check.ts") },
    outdir: app,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    // The bench's CommonJS dependencies call require(): give the ES module one.
    banner: { js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);' },
    // Loaded only if present: the native TensorFlow packages, WebAssembly (its .wasm files are not shipped), Dawn.
    external: ["webgpu", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-backend-wasm"],
    logLevel: "warning",
  });
  writeFileSync(join(app, "package.json"), `${JSON.stringify({ name: "llava-more-workbench", private: true, type: "module" }, null, 2)}\n`);
  const webgpu = projectPath("node_modules", "webgpu");
  const pruned = join(app, "node_modules", "webgpu");
  mkdirSync(pruned, { recursive: true });
  for (const f of ["package.json", "index.js", "LICENSE.md"]) copyFileSync(join(webgpu, f), join(pruned, f));

  console.log(`gpu-bundle: compressing Node ${process.version} and Dawn (linux-x64)`);
  gzipInto(process.execPath, join(tmp, "node.gz"));
  gzipInto(join(webgpu, "dist", "linux-x64", "dawn.node"), join(tmp, "dawn.node.gz"));
  copyFileSync(projectPath("bench", "run.sh"), join(tmp, "run.sh"));
  chmodSync(join(tmp, "run.sh"), 0o755);
  writeFileSync(
    join(tmp, "README.txt"),
    [
      "llava-more-workbench GPU bundle: the benchmark on WebGPU (Vulkan), for an offline linux-x64 GPU node.",
      "  ./run.sh OUT_DIR [bench options]     e.g. ./run.sh results --only 'ViT|decoder'",
      "Needs the Vulkan loader (libvulkan.so.1) and the GPU driver's Vulkan ICD; run.sh says which is missing.",
      `Built ${new Date().toISOString()} with Node ${process.version}.`,
      "",
    ].join("\n"),
  );
  const bytes = folderBytes(tmp);
  if (bytes > LIMIT_BYTES) throw new Error(`the bundle is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 64 MiB limit (left in ${tmp})`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  console.log(`gpu-bundle: wrote ${out} (${(bytes / 2 ** 20).toFixed(1)} MiB); run it with ${join(out, "run.sh")} OUT_DIR`);
}

main().catch((err: unknown) => {
  console.error(`gpu-bundle: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

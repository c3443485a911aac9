import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { chooseIsa, cpuInfo, hasAvx2Fma, kernelBuild, kernelClass, kernelModeEnv, loadNativeAddon, NATIVE_ADDON_PATH, PORTABLE_BITS_ENV, portableBits } from "../src/backend/kernel_build.js";
import { nativeSelfCheck } from "../src/backend/native.js";
import { resultKernels, type PairingSpec, type RunResult } from "../src/analysis/run_record.js";
import { resultKey, resultOptions, trainKey } from "../src/study/run.js";
import { studyKernels, writeSlurmScript } from "../src/study/runner.js";
import { parseStudyGrid, STUDY_GRIDS, studyGrid } from "../src/study/grids.js";
import { PROTOCOLS } from "../src/train/protocol.js";
import { hashString } from "../src/util/random.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool, tempDir } from "./helpers.js";

const addon = loadNativeAddon();
const skip = requireTool(typeof addon !== "string", `native kernels unavailable: ${typeof addon === "string" ? addon : ""}`);

test("a build's class is 'portable' for the AVX2 kernels with OpenBLAS's Haswell ones (or the built-in matmul), else names both", () => {
  assert.equal(kernelClass({ addonIsa: "avx2", blasCore: "Haswell" }), "portable");
  assert.equal(kernelClass({ addonIsa: "avx2", blasCore: "builtin" }), "portable");
  // Without the addon the WebAssembly or CPU backend computes: the key adds nothing, as before builds were recorded.
  assert.equal(kernelClass({ addonIsa: "none", blasCore: "none" }), "portable");
  assert.equal(kernelClass({ addonIsa: "avx512", blasCore: "SkylakeX" }), "avx512+SkylakeX");
  assert.equal(kernelClass({ addonIsa: "avx2", blasCore: "SkylakeX" }), "avx2+SkylakeX");
  assert.equal(kernelClass({ addonIsa: "generic", blasCore: "ARMV8" }), "generic+ARMV8");
  assert.equal(chooseIsa(["avx2", "avx512"], "portable"), "avx2");
  assert.equal(chooseIsa(["avx2", "avx512"], "native"), "avx512");
  assert.equal(chooseIsa(["avx2"], "native"), "avx2");
  assert.equal(portableBits({ [PORTABLE_BITS_ENV]: "1" }), true);
  assert.equal(portableBits({ [PORTABLE_BITS_ENV]: "0" }), false);
  assert.equal(portableBits({}), false);
  // A child in portable mode pins Haswell itself; one in native mode keeps the user's OPENBLAS_CORETYPE.
  assert.deepEqual(kernelModeEnv("portable", { PATH: "/bin", OPENBLAS_CORETYPE: "SkylakeX" }), { PATH: "/bin", [PORTABLE_BITS_ENV]: "1" });
  assert.deepEqual(kernelModeEnv("native", { PATH: "/bin", OPENBLAS_CORETYPE: "SkylakeX", [PORTABLE_BITS_ENV]: "1" }), { PATH: "/bin", OPENBLAS_CORETYPE: "SkylakeX" });
  const cpu = cpuInfo();
  assert.ok(cpu.model.length > 0);
  if (process.arch === "x64") assert.match(cpu.class, /^x86-64(-v[234])?(\+amx)?$/);
});

/** kernelBuild() in a fresh process with this environment. */
function buildIn(env: NodeJS.ProcessEnv): ReturnType<typeof kernelBuild> {
  const script = `import(${JSON.stringify(projectPath("src", "backend", "kernel_build.ts"))}).then((m) => console.log(JSON.stringify(m.kernelBuild())))`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", cwd: projectPath(), env });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as ReturnType<typeof kernelBuild>;
}

test("LLAVA_MORE_PORTABLE_BITS=1 runs the AVX2 kernels and OpenBLAS's Haswell ones; the default runs the widest this CPU has", { skip, timeout: 60_000 }, () => {
  if (typeof addon === "string") return;
  const { OPENBLAS_CORETYPE: _core, ...env } = process.env;
  const portable = buildIn(kernelModeEnv("portable", env));
  const native = buildIn(kernelModeEnv("native", env));
  const isas = addon.info().isas;
  assert.equal(portable.mode, "portable");
  assert.equal(native.mode, "native");
  assert.equal(native.addonIsa, isas[isas.length - 1]);
  assert.equal(native.class, kernelClass(native));
  assert.deepEqual(native.cpu, cpuInfo());
  if (hasAvx2Fma()) {
    assert.equal(portable.addonIsa, "avx2");
    assert.match(portable.blasCore, /^(Haswell|builtin)$/);
    assert.equal(portable.class, "portable");
  }
  // On an AVX-512 CPU with the AVX-512 build compiled in, the default uses it.
  if (/x86-64-v4/.test(cpuInfo().class) && isas.includes("avx512")) assert.equal(native.addonIsa, "avx512");
});

test("every kernel build this CPU runs agrees with the CPU backend", { skip, timeout: 120_000 }, async () => {
  if (typeof addon === "string") return;
  await initBackend();
  const chosen = addon.info().isa;
  try {
    for (const isa of addon.info().isas) {
      assert.equal(addon.selectKernels(isa), isa);
      assert.equal(await nativeSelfCheck(), undefined, `the ${isa} kernels`);
    }
  } finally {
    addon.selectKernels(chosen);
    await tf.setBackend("native");
  }
  assert.throws(() => addon.selectKernels("sse9"), /selectKernels: no kernel build "sse9" for this CPU; it runs avx2/);
});

test("only the AVX-512 build's own functions hold AVX-512 (EVEX) instructions, so an AVX2 CPU never meets one", { skip }, (t) => {
  const objdump = spawnSync("objdump", ["-d", "-C", NATIVE_ADDON_PATH()], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (objdump.error || objdump.status !== 0 || !existsSync(NATIVE_ADDON_PATH())) return t.skip("objdump unavailable");
  let fn = "";
  const evex = new Map<string, number>();
  for (const line of objdump.stdout.split("\n")) {
    const header = /^[0-9a-f]+ <(.*)>:$/.exec(line);
    if (header) fn = header[1]!;
    // An instruction whose first byte (after an address-size or segment prefix) is 0x62 is EVEX-encoded in 64-bit mode.
    else if (/^\s*[0-9a-f]+:\t((67|2e|3e|26|64|65) )?62 /.test(line)) evex.set(fn, (evex.get(fn) ?? 0) + 1);
  }
  const outside = [...evex.keys()].filter((name) => !name.includes("isa_avx512"));
  assert.deepEqual(outside, []);
  if (typeof addon !== "string" && addon.info().isas.includes("avx512")) assert.ok(evex.size > 0, "the AVX-512 build is compiled in, with AVX-512 code");
});

const spec: PairingSpec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 };

test("a run's keys carry its kernel build's class; the portable bits add nothing, so keys from before builds were recorded still match", () => {
  const protocol = PROTOCOLS.small;
  const zoo = { llm: "aaaa", tower: "bbbb" };
  // The training key as it was computed before builds were recorded.
  const { eval: _eval, validationScenes: _validation, ...training } = protocol;
  const before = hashString(JSON.stringify({ spec, preset: "small", protocol: training, datasetKey: "d1", zoo })).toString(16).padStart(8, "0");
  assert.equal(trainKey({ spec, preset: "small" }, protocol, "d1", zoo), before);
  assert.equal(trainKey({ spec, preset: "small", kernels: "portable" }, protocol, "d1", zoo), before);
  const native = trainKey({ spec, preset: "small", kernels: "avx512+SkylakeX" }, protocol, "d1", zoo);
  assert.notEqual(native, before);
  assert.notEqual(trainKey({ spec, preset: "small", kernels: "avx2+SkylakeX" }, protocol, "d1", zoo), native);
  assert.equal(resultKey({ spec, preset: "small", evalLimit: 200, kernels: "portable" }, protocol, "d1", zoo), resultKey({ spec, preset: "small", evalLimit: 200 }, protocol, "d1", zoo));
  assert.notEqual(resultKey({ spec, preset: "small", evalLimit: 200, kernels: "avx512+SkylakeX" }, protocol, "d1", zoo), resultKey({ spec, preset: "small", evalLimit: 200 }, protocol, "d1", zoo));
  // A result names its build; one from before builds were recorded is the portable bits.
  const old = { preset: "small", spec, eval: { limit: 200 } } as unknown as RunResult;
  assert.equal(resultKernels(old), "portable");
  assert.equal(resultOptions(old).kernels, "portable");
  const fast = { ...old, kernels: { mode: "native", blasCore: "SkylakeX", addonIsa: "avx512", cpu: { model: "x", class: "x86-64-v4" }, class: "avx512+SkylakeX" } } as RunResult;
  assert.equal(resultOptions(fast).kernels, "avx512+SkylakeX");
});

test("every built-in grid runs the portable bits, the archive's build; tiny (tests) runs the test process's; a grid file may name either", () => {
  for (const grid of Object.values(STUDY_GRIDS)) {
    assert.equal(grid.kernels, "portable", grid.name);
    assert.equal(studyKernels(grid), "portable");
    assert.equal(studyGrid(grid.name, "tiny").kernels, undefined);
  }
  const grid = (kernels: unknown) => ({ name: "g", title: "t", blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"] }], seeds: [0], kernels });
  assert.equal(parseStudyGrid(grid("native"), "g.json").kernels, "native");
  assert.throws(() => parseStudyGrid(grid("fast"), "g.json"), /g\.json: field "kernels": expected one of portable, native, got "fast"/);
  // A Slurm task starts in the grid's mode, as a worker process does.
  const slurm = (kernels?: "portable" | "native") => readFileSync(writeSlurmScript({ study: { ...STUDY_GRIDS.quick, ...(kernels ? { kernels } : { kernels: undefined }) }, preset: "tiny", runsDir: tempDir() }).file, "utf8");
  assert.match(slurm("portable"), /\nexport LLAVA_MORE_PORTABLE_BITS=1\nunset OPENBLAS_CORETYPE\n/);
  assert.match(slurm("native"), /\nunset LLAVA_MORE_PORTABLE_BITS\n/);
  assert.doesNotMatch(slurm(), /LLAVA_MORE_PORTABLE_BITS/);
  if (portableBits()) assert.throws(() => studyKernels(parseStudyGrid(grid("native"), "g.json")), /runs the native kernels, and this process was started with LLAVA_MORE_PORTABLE_BITS=1/);
  else assert.equal(studyKernels(parseStudyGrid(grid("native"), "g.json")), kernelBuild().class);
});

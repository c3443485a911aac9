import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { chooseIsa, cpuInfo, hasAvx2Fma, kernelBuild, kernelClass, kernelModeEnv, loadNativeAddon, NATIVE_ADDON_PATH, PORTABLE_BITS_ENV, portableBits } from "../src/backend/kernel_build.js";
import { nativeSelfCheck } from "../src/backend/native.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool } from "./helpers.js";

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

/**
 * Which kernels this process multiplies with, decided in one place.
 *
 * By default the native addon runs the fastest kernels this CPU has: its own kernels built for
 * AVX-512 (x86-64-v4) where the CPU has it, else for AVX2 (x86-64-v3), and OpenBLAS's kernel for
 * this CPU. Each sums in its own order, so one seed gives other bits on another class of CPU.
 *
 * `LLAVA_MORE_PORTABLE_BITS=1` asks for the portable bits instead: the addon's AVX2 kernels and
 * OpenBLAS pinned to its Haswell kernels (`OPENBLAS_CORETYPE`, unless already set), which every
 * x86-64 CPU with AVX2 and FMA runs alike. The study's archive (results/) was trained that way.
 *
 * A run's key carries the build's class (`kernelClass`): nothing for the portable bits, so keys from
 * before builds were recorded still match, else e.g. "avx512+SkylakeX".
 */
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { projectPath } from "../util/paths.js";
import type { AddonIsa, NativeAddon } from "./native/addon.js";

export const PORTABLE_BITS_ENV = "LLAVA_MORE_PORTABLE_BITS";
export type KernelMode = "portable" | "native";
export const KERNEL_MODES: readonly KernelMode[] = ["portable", "native"];

/**
 * Makes the portable bits this process's default, for work that serves the study grids (the zoo
 * command): LLAVA_MORE_PORTABLE_BITS=1 unless the user set it (=0 for the native kernels). Call it
 * before the addon loads; afterwards the process keeps the kernels it loaded.
 */
export function portableUnlessSet(env: NodeJS.ProcessEnv = process.env): void {
  if (loaded === undefined) env[PORTABLE_BITS_ENV] ??= "1";
}

/** Whether this process was asked for the portable bits (`LLAVA_MORE_PORTABLE_BITS=1`). */
export const portableBits = (env: NodeJS.ProcessEnv = process.env): boolean => env[PORTABLE_BITS_ENV] === "1";
export const kernelMode = (env: NodeJS.ProcessEnv = process.env): KernelMode => (portableBits(env) ? "portable" : "native");

export type { AddonIsa } from "./native/addon.js";

/** The portable bits: the addon's AVX2 kernels with OpenBLAS's Haswell kernels (or the built-in matmul, also x86-64-v3). */
export const PORTABLE_ISA: AddonIsa = "avx2";
export const PORTABLE_BLAS_CORE = "Haswell";
/** The class of the portable bits; a run's key adds nothing for it. */
export const PORTABLE_CLASS = "portable";

export interface CpuInfo {
  /** /proc/cpuinfo's model name ("Intel(R) Xeon(R) Processor"), or the architecture where it cannot be read. */
  model: string;
  /** The x86-64 psABI level the CPU reaches (x86-64-v4 with AVX-512, v3 with AVX2 + FMA, …), "+amx" with AMX tiles; else Node's arch. */
  class: string;
}

export interface KernelBuild {
  mode: KernelMode;
  /** OpenBLAS's kernel set in use ("Haswell", "SkylakeX", …); "builtin" for the addon's own matmul; "none" without the addon. */
  blasCore: string;
  /**
   * What computes OpenBLAS's products (absent in runs recorded before it was): "openblas", or
   * "haswell-order/avx512" where the addon's own sgemm gives OpenBLAS 0.3.21's Haswell bits faster
   * (native/src/haswell_gemm.h); "builtin" or "none" as blasCore. The bits are the same either way, so the class ignores it.
   */
  sgemm?: string;
  /** The addon's kernel build in use; "none" without the addon (the WebAssembly or CPU backend computes). */
  addonIsa: AddonIsa | "none";
  cpu: CpuInfo;
  /** What a run's key carries: "portable" for the portable bits (and without the addon), else `<addonIsa>+<blasCore>`. */
  class: string;
}

function cpuFlags(): { model: string; flags: Set<string> } | undefined {
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:(.*)$`, "m").exec(text)?.[1]?.trim();
    return { model: field("model name") ?? process.arch, flags: new Set((field("flags") ?? field("Features") ?? "").split(/\s+/)) };
  } catch {
    return undefined;
  }
}

/** The CPU's model name and class. */
export function cpuInfo(): CpuInfo {
  const cpu = cpuFlags();
  if (!cpu) return { model: process.arch, class: process.arch };
  if (process.arch !== "x64") return { model: cpu.model, class: process.arch };
  const has = (...names: string[]): boolean => names.every((n) => cpu.flags.has(n));
  const level = has("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl") && has("avx2", "fma")
    ? "x86-64-v4"
    : has("avx2", "fma", "bmi1", "bmi2", "movbe", "f16c", "abm")
      ? "x86-64-v3"
      : has("sse4_2", "popcnt", "ssse3")
        ? "x86-64-v2"
        : "x86-64";
  return { model: cpu.model, class: `${level}${has("amx_tile") ? "+amx" : ""}` };
}

/** Whether this is an x86-64 CPU with AVX2 and FMA (Linux's /proc/cpuinfo; false where it cannot be read). */
export function hasAvx2Fma(): boolean {
  const cpu = process.arch === "x64" ? cpuFlags() : undefined;
  return cpu !== undefined && cpu.flags.has("avx2") && cpu.flags.has("fma");
}

/**
 * For the portable bits, pins OpenBLAS to its Haswell (AVX2 + FMA) kernels wherever the CPU has them;
 * left to choose, OpenBLAS takes its AVX-512 kernel on AVX-512 CPUs, which sums in another order. Read
 * when OpenBLAS loads (with the addon); an OPENBLAS_CORETYPE already set is kept.
 */
export function pinBlasKernels(env: NodeJS.ProcessEnv = process.env): void {
  if (portableBits(env) && env["OPENBLAS_CORETYPE"] === undefined && hasAvx2Fma()) env["OPENBLAS_CORETYPE"] = PORTABLE_BLAS_CORE;
}

/** Which of the addon's runnable builds (base first, info().isas) this mode uses: the base for portable bits, else the last (widest). */
export const chooseIsa = (isas: readonly string[], mode: KernelMode = kernelMode()): string => (mode === "portable" ? isas[0]! : isas[isas.length - 1]!);

/** The class of a build (see KernelBuild.class). */
export function kernelClass(build: Pick<KernelBuild, "addonIsa" | "blasCore">): string {
  if (build.addonIsa === "none") return PORTABLE_CLASS;
  const portable = build.addonIsa === PORTABLE_ISA && (build.blasCore === PORTABLE_BLAS_CORE || build.blasCore === "builtin");
  return portable ? PORTABLE_CLASS : `${build.addonIsa}+${build.blasCore}`;
}

/**
 * The environment a child process needs to run in `mode`: LLAVA_MORE_PORTABLE_BITS set or removed,
 * and for the portable bits no OPENBLAS_CORETYPE of this process's, so the child pins Haswell itself.
 */
export function kernelModeEnv(mode: KernelMode, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { [PORTABLE_BITS_ENV]: _mode, ...rest } = env;
  if (mode === "native") return rest;
  const { OPENBLAS_CORETYPE: _core, ...portable } = rest;
  return { ...portable, [PORTABLE_BITS_ENV]: "1" };
}

export const NATIVE_ADDON_PATH = (): string => projectPath("native", "build", "Release", "llava_native.node");

let loaded: NativeAddon | string | undefined;

/**
 * The built addon with this mode's kernels selected, or the reason it cannot be used. Loaded once per
 * process: OpenBLAS reads its kernel choice when it loads.
 */
export function loadNativeAddon(): NativeAddon | string {
  if (process.env["LLAVA_MORE_NATIVE"] === "off") return "turned off by LLAVA_MORE_NATIVE=off";
  if (loaded !== undefined) return loaded;
  const path = NATIVE_ADDON_PATH();
  if (!existsSync(path)) return "native kernels not built (npm run build:native; needs a C++ compiler)";
  pinBlasKernels();
  try {
    const addon = createRequire(projectPath("package.json"))(path) as NativeAddon;
    if (typeof addon.selectKernels !== "function") return (loaded = "native addon built from older sources (no kernel builds to choose from); rebuild it: npm run build:native");
    addon.selectKernels(chooseIsa(addon.info().isas));
    loaded = addon;
  } catch (err) {
    loaded = `native addon failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
  return loaded;
}

/** The kernel build of this process (loads the addon when it is built). */
export function kernelBuild(): KernelBuild {
  const addon = loadNativeAddon();
  const info = typeof addon === "string" ? undefined : addon.info();
  const build = { blasCore: info?.blasCore ?? "none", addonIsa: info?.isa ?? ("none" as const) };
  return { mode: kernelMode(), ...build, sgemm: info?.sgemm ?? "none", cpu: cpuInfo(), class: kernelClass(build) };
}

/**
 * One line for logs: "native kernels avx512 + OpenBLAS SkylakeX on Intel(R) Xeon(R) Processor (x86-64-v4+amx)", "portable kernels
 * avx2 + OpenBLAS Haswell (its bits by haswell-order/avx512) on …".
 */
export function describeKernelBuild(build: KernelBuild = kernelBuild()): string {
  const blas = build.blasCore === "builtin" ? "built-in matmul" : `OpenBLAS ${build.blasCore}${build.sgemm?.startsWith("haswell-order/") ? ` (its bits by ${build.sgemm})` : ""}`;
  const kernels = build.addonIsa === "none" ? "no native kernels" : `${build.mode} kernels ${build.addonIsa} + ${blas}`;
  return `${kernels} on ${build.cpu.model} (${build.cpu.class})`;
}

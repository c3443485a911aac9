/**
 * Picks and initialises the TF.js backend. Order: the native TensorFlow backend on a GPU
 * (@tensorflow/tfjs-node-gpu, when installed), WebGPU on a hardware adapter, @tensorflow/tfjs-node
 * (when installed), the workbench's own native CPU kernels (native/, when built), WebAssembly, plain
 * CPU. `TFJS_BACKEND` (tensorflow | webgpu | native | wasm | cpu) forces one; forced, WebGPU also
 * takes a software adapter. A backend counts only when `setBackend`
 * succeeded and a small matmul gave the known result; every fallback is recorded with its reason.
 */
import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import { projectPath } from "../util/paths.js";
import { installFastWasmMatMul } from "./wasm-matmul.js";
import { loadNativeAddon, nativeSelfCheck, registerNativeBackend } from "./native.js";
import { describeAdapter, registerWebGpuBackend, type GpuAdapterInfo } from "./webgpu.js";

export type BackendName = "tensorflow" | "webgpu" | "native" | "wasm" | "cpu";

export interface BackendInfo {
  name: BackendName;
  /** The npm package that provided it. */
  package: string;
  tfjsVersion: string;
  /** Whether the WebAssembly backend's fast matmul kernel is installed. */
  fastMatMul: boolean;
  /** The native backend's matmul: OpenBLAS or the built-in kernel. */
  blas?: "openblas" | "builtin";
  threads: number;
  /** The WebGPU adapter (vendor, architecture, description, fallback and software flags, API). */
  adapter?: GpuAdapterInfo;
  /** Candidates tried before this one, each with why it was not used. */
  skipped: { candidate: string; reason: string }[];
}

interface Candidate {
  name: BackendName;
  package: string;
  load(): Promise<void>;
}

const forcedBackend = (): string | undefined => process.env["TFJS_BACKEND"]?.trim() || undefined;

const CANDIDATES: Candidate[] = [
  { name: "tensorflow", package: "@tensorflow/tfjs-node-gpu", load: async () => void (await import("@tensorflow/tfjs-node-gpu" as string)) },
  {
    name: "webgpu",
    package: "@tensorflow/tfjs-backend-webgpu (Dawn)",
    load: async () => {
      gpuAdapter = await registerWebGpuBackend({ allowSoftware: forcedBackend() === "webgpu" || allowSoftwareGpu });
    },
  },
  { name: "tensorflow", package: "@tensorflow/tfjs-node", load: async () => void (await import("@tensorflow/tfjs-node" as string)) },
  {
    name: "native",
    package: "native/ (N-API addon)",
    load: async () => {
      const addon = loadNativeAddon();
      if (typeof addon === "string") throw new Error(addon);
      registerNativeBackend(addon);
      const problem = await nativeSelfCheck();
      if (problem) throw new Error(problem);
      nativeInfo = addon.info();
    },
  },
  {
    name: "wasm",
    package: "@tensorflow/tfjs-backend-wasm",
    load: async () => {
      await import("@tensorflow/tfjs-backend-wasm");
      installFastWasmMatMul();
    },
  },
  { name: "cpu", package: "@tensorflow/tfjs-backend-cpu", load: async () => {} },
];

export const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "webgpu", "native", "wasm", "cpu"];

let nativeInfo: { blas: "openblas" | "builtin"; threads: number } | undefined;
let gpuAdapter: GpuAdapterInfo | undefined;
/** `useBackend("webgpu")` (tests, the bench) accepts a software adapter, as TFJS_BACKEND=webgpu does. */
let allowSoftwareGpu = false;

/** [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]] on the active backend. */
export async function selfCheck(): Promise<void> {
  // Read asynchronously: the WebGPU backend cannot read synchronously in Node.
  const product = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
  const got = await product.data();
  product.dispose();
  const want = [19, 22, 43, 50];
  if (!want.every((w, i) => Math.abs((got[i] ?? NaN) - w) < 1e-5)) {
    throw new Error(`matmul self-check failed: got [${Array.from(got).join(", ")}], expected [${want.join(", ")}]`);
  }
}

let active: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/**
 * When an npm override installed another package under this name (danfojs-node's tfjs-node is
 * replaced by plain @tensorflow/tfjs, whose TensorFlow binary cannot be fetched here), says so.
 */
function aliasNote(packageName: string): string | undefined {
  try {
    // Read from the project's node_modules: notebook kernels compile src/ to CommonJS, without import.meta.
    const manifest = projectPath("node_modules", ...packageName.split("/"), "package.json");
    const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
    if (name === undefined || name === packageName) return undefined;
    return `installed as an alias of ${name}@${version ?? "?"} (an npm override), which has no TensorFlow binding`;
  } catch {
    return undefined;
  }
}

async function tryCandidate(c: Candidate): Promise<string | undefined> {
  try {
    await c.load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return "not installed";
    return c.name === "native" ? (err as Error).message : `failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
  if (!tf.findBackendFactory(c.name)) return aliasNote(c.package) ?? `the package registered no "${c.name}" backend`;
  let ok = false;
  try {
    ok = await tf.setBackend(c.name);
  } catch (err) {
    return `setBackend failed: ${(err as Error).message.split("\n")[0]}`;
  }
  if (!ok || tf.getBackend() !== c.name) return "setBackend returned false";
  try {
    await selfCheck();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

async function choose(): Promise<BackendInfo> {
  const forced = forcedBackend();
  if (forced && !BACKEND_NAMES.includes(forced as BackendName)) {
    throw new Error(`TFJS_BACKEND="${forced}": expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  const skipped: BackendInfo["skipped"] = [];
  for (const c of CANDIDATES) {
    if (forced && c.name !== forced) continue;
    const reason = await tryCandidate(c);
    if (reason !== undefined) {
      skipped.push({ candidate: c.package, reason });
      // The native kernels are expected on a machine with a compiler: say once why they are not used.
      if (c.name === "native" && !forced) console.log(`llava-more: ${reason}; falling back to WebAssembly`);
      continue;
    }
    return {
      name: c.name,
      package: c.package,
      tfjsVersion: tf.version_core,
      fastMatMul: c.name === "wasm",
      blas: c.name === "native" ? nativeInfo?.blas : undefined,
      threads: c.name === "native" ? (nativeInfo?.threads ?? 1) : c.name === "wasm" ? 1 : 0,
      ...(c.name === "webgpu" && gpuAdapter ? { adapter: gpuAdapter } : {}),
      skipped,
    };
  }
  const tried = skipped.map((s) => `${s.candidate}: ${s.reason}`).join("; ");
  throw new Error(forced ? `TFJS_BACKEND=${forced} could not be initialised (${tried})` : `no TF.js backend could be initialised (${tried})`);
}

/** Initialises the backend once per process and returns what was chosen. */
export function initBackend(): Promise<BackendInfo> {
  pending ??= choose().then(
    (info) => (active = info),
    (err: unknown) => {
      pending = undefined;
      throw err;
    },
  );
  return pending;
}

/**
 * Loads and activates one backend by name (for comparisons and tests); `initBackend`'s choice stays
 * recorded. Throws with the reason when it cannot be used.
 */
export async function useBackend(name: BackendName): Promise<void> {
  allowSoftwareGpu = name === "webgpu";
  const reasons: string[] = [];
  for (const c of CANDIDATES.filter((x) => x.name === name)) {
    const reason = await tryCandidate(c);
    if (reason === undefined) return;
    reasons.push(`${c.package}: ${reason}`);
  }
  throw new Error(`backend ${name} cannot be used (${reasons.join("; ")})`);
}

/** The backend chosen by `initBackend`; throws if it has not run. */
export function backendInfo(): BackendInfo {
  if (!active) throw new Error("no backend yet: await initBackend() first");
  return active;
}

/**
 * A line to print before long work when the backend is slower than this machine allows: the native
 * kernels built without OpenBLAS (npm install ran before libopenblas-dev was installed; measured here,
 * a 384³ sgemm on one thread ran at 16 GFLOP/s built-in against 47 with OpenBLAS). Undefined otherwise.
 */
export function backendAdvice(info: BackendInfo = backendInfo()): string | undefined {
  if (info.name === "native" && info.blas === "builtin") {
    return "note: the native kernels were built without OpenBLAS, and their built-in matmul is about 3× slower; install it and rebuild: apt-get install libopenblas-dev && npm run build:native";
  }
  return undefined;
}

/** Prints `backendAdvice`, if any. */
export const adviseBackend = (log: (line: string) => void = console.log): void => {
  const advice = backendAdvice();
  if (advice !== undefined) log(advice);
};

/** One line for logs: "wasm (@tensorflow/tfjs-backend-wasm, tfjs 4.22.0, fast matmul)". */
export function describeBackend(info: BackendInfo = backendInfo()): string {
  const extras = [
    info.package,
    `tfjs ${info.tfjsVersion}`,
    ...(info.fastMatMul ? ["fast matmul"] : []),
    ...(info.blas ? [info.blas, `${info.threads} threads`] : []),
    ...(info.adapter ? [describeAdapter(info.adapter)] : []),
  ];
  return `${info.name} (${extras.join(", ")})`;
}

/**
 * Picks and initialises the TF.js backend. Order: the native TensorFlow backend
 * (@tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node, when installed), WebAssembly, plain CPU.
 * `TFJS_BACKEND` (tensorflow | wasm | cpu) forces one. A backend counts only when `setBackend`
 * succeeded and a small matmul gave the known result; every fallback is recorded with its reason.
 */
import * as tf from "@tensorflow/tfjs";
import { installFastWasmMatMul } from "./backend/wasm-matmul.js";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  name: BackendName;
  /** The npm package that provided it. */
  package: string;
  tfjsVersion: string;
  /** Whether the WebAssembly backend's fast matmul kernel is installed. */
  fastMatMul: boolean;
  threads: number;
  /** Candidates tried before this one, each with why it was not used. */
  skipped: { candidate: string; reason: string }[];
}

interface Candidate {
  name: BackendName;
  package: string;
  load(): Promise<void>;
}

const CANDIDATES: Candidate[] = [
  { name: "tensorflow", package: "@tensorflow/tfjs-node-gpu", load: async () => void (await import("@tensorflow/tfjs-node-gpu" as string)) },
  { name: "tensorflow", package: "@tensorflow/tfjs-node", load: async () => void (await import("@tensorflow/tfjs-node" as string)) },
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

const BACKEND_NAMES: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

/** [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]] on the active backend. */
export function selfCheck(): void {
  const got = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync());
  const want = [19, 22, 43, 50];
  if (!want.every((w, i) => Math.abs((got[i] ?? NaN) - w) < 1e-5)) {
    throw new Error(`matmul self-check failed: got [${Array.from(got).join(", ")}], expected [${want.join(", ")}]`);
  }
}

let active: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

async function tryCandidate(c: Candidate): Promise<string | undefined> {
  try {
    await c.load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" ? "not installed" : `failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
  if (!tf.findBackendFactory(c.name)) return `the package registered no "${c.name}" backend`;
  let ok = false;
  try {
    ok = await tf.setBackend(c.name);
  } catch (err) {
    return `setBackend failed: ${(err as Error).message.split("\n")[0]}`;
  }
  if (!ok || tf.getBackend() !== c.name) return "setBackend returned false";
  try {
    selfCheck();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}

async function choose(): Promise<BackendInfo> {
  const forced = process.env["TFJS_BACKEND"]?.trim();
  if (forced && !BACKEND_NAMES.includes(forced as BackendName)) {
    throw new Error(`TFJS_BACKEND="${forced}": expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  const skipped: BackendInfo["skipped"] = [];
  for (const c of CANDIDATES) {
    if (forced && c.name !== forced) continue;
    const reason = await tryCandidate(c);
    if (reason !== undefined) {
      skipped.push({ candidate: c.package, reason });
      continue;
    }
    return {
      name: c.name,
      package: c.package,
      tfjsVersion: tf.version_core,
      fastMatMul: c.name === "wasm",
      threads: c.name === "wasm" ? 1 : 0,
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

/** The backend chosen by `initBackend`; throws if it has not run. */
export function backendInfo(): BackendInfo {
  if (!active) throw new Error("no backend yet: await initBackend() first");
  return active;
}

/** One line for logs: "wasm (@tensorflow/tfjs-backend-wasm, tfjs 4.22.0, fast matmul)". */
export function describeBackend(info: BackendInfo = backendInfo()): string {
  const extras = [info.package, `tfjs ${info.tfjsVersion}`, ...(info.fastMatMul ? ["fast matmul"] : [])];
  return `${info.name} (${extras.join(", ")})`;
}

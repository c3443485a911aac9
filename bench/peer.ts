/**
 * `npm run bench -- --peer`: the same two issue-shape models trained in PyTorch, in the same sitting,
 * so a speed claim is a ratio measured on one CPU at one time (bench/peer_torch.py holds the models).
 * Used when a Python with `torch` is installed (Debian: python3-torch); otherwise one line says why not.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { projectPath } from "../src/util/paths.js";

export interface PeerShapes {
  steps: number;
  warmup: number;
  decoder: { config: object; batch: number; seq: number };
  vit: { config: object; batch: number };
}

export interface TorchPeer {
  python: string;
  torch: string;
  threads: number;
  /** OPENBLAS_CORETYPE as the peer saw it: null when its OpenBLAS chose its kernels for the CPU. */
  openblasCoretype: string | null;
  env: Record<string, string>;
  msPerStep: { decoder: number; vit: number };
}

const PYTHONS = ["python3", "/usr/bin/python3"];

/** The first Python on this machine that imports torch, or undefined. */
export function torchPython(): string | undefined {
  return PYTHONS.find((python) => spawnSync(python, ["-c", "import torch"], { stdio: "ignore" }).status === 0);
}

/**
 * Runs the peer with as many threads as the machine has cores (what OpenBLAS takes by default) and
 * OMP_WAIT_POLICY=PASSIVE, so idle OpenMP threads do not spin against the other process's cores.
 * OPENBLAS_CORETYPE is not passed on: this process may have pinned its own OpenBLAS to older kernels
 * for portable bits (pinBlasKernels), and PyTorch's OpenBLAS should pick its kernels for the CPU, as it
 * does anywhere else (pinned to Haswell, its steps took 15–22% more CPU time here on one thread:
 * docs/performance.md).
 */
export function runTorchPeer(shapes: PeerShapes): TorchPeer | { skipped: string } {
  const python = torchPython();
  if (!python) return { skipped: `no Python with torch found (tried ${PYTHONS.join(", ")}; on Debian: apt-get install python3-torch)` };
  const threads = availableParallelism();
  const env = { OMP_WAIT_POLICY: "PASSIVE", OMP_NUM_THREADS: String(threads) };
  const script = projectPath("bench", "peer_torch.py");
  const { OPENBLAS_CORETYPE: _ours, ...inherited } = process.env;
  const run = spawnSync(python, [script, JSON.stringify({ ...shapes, threads })], { encoding: "utf8", env: { ...inherited, ...env } });
  if (run.status !== 0) throw new Error(`${script} failed (exit ${run.status}): ${run.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as Omit<TorchPeer, "python" | "env">;
  return { python, env, ...out };
}

/** The CPU model and the vector / matrix extensions that decide which kernels run. */
export function cpuDescription(): { model: string; flags: string[] } {
  let text = "";
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return { model: "unknown (no /proc/cpuinfo)", flags: [] };
  }
  const field = (name: string) => text.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim() ?? "";
  const present = new Set(field("flags").split(/\s+/));
  const wanted = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"];
  return { model: field("model name") || "unknown", flags: wanted.filter((f) => present.has(f)) };
}

/** The native-kernel tests' comparison: the same computation on the native and on the CPU backend, the native run repeated on poisoned recycled buffers. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import type { NativeBackend } from "../src/backend/native.js";
import { buildLlmConfig } from "../src/models/llm/config.js";
import { CausalLM, causalLmLoss } from "../src/models/llm/decoder.js";
import { LLM_ARCHITECTURES } from "../src/models/llm/registry.js";
import { projectPath } from "../src/util/paths.js";

/** The losses of `steps` Adam steps of a tiny LLaMA-3 decoder on one fixed batch, on the active backend. */
export function tinyDecoderLosses(steps: number): number[] {
  const config = { ...buildLlmConfig(LLM_ARCHITECTURES["llama3"], "2b", "tiny"), vocabSize: 300 };
  const model = new CausalLM(config, 7);
  const ids = tf.tensor2d(Array.from({ length: 4 * 12 }, (_, i) => (i * 11 + 5) % config.vocabSize), [4, 12], "int32");
  const optimizer = tf.train.adam(1e-2);
  const out: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => causalLmLoss(model.forward(ids), ids), true, model.trainableParameters())!;
    out.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  optimizer.dispose();
  ids.dispose();
  model.dispose();
  return out;
}

/** Runs f on the native and on the CPU backend with the same inputs and compares the outputs. */
export async function agree(label: string, inputs: tf.Tensor[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const raw = inputs.map((x) => ({ values: x.dataSync().slice(), shape: x.shape, dtype: x.dtype }));
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const xs = raw.map((r) => tf.tensor(r.values, r.shape, r.dtype));
      const out = f(...xs);
      return (Array.isArray(out) ? out : [out]).map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
    });
  };
  const want = await run("cpu");
  // The second native run gets the first run's freed output arrays back, poisoned: every kernel must
  // write each element of its output.
  await run("native");
  (tf.backend() as NativeBackend).poisonPool(NaN);
  const got = await run("native");
  assert.equal(got.length, want.length, label);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.deepEqual(g.shape, w.shape, `${label}: shape of output ${i}`);
    g.values.forEach((v, j) => {
      const r = w.values[j]!;
      if (Number.isNaN(r)) assert.ok(Number.isNaN(v), `${label}[${j}]: expected NaN, got ${v}`);
      else if (!Number.isFinite(r)) assert.equal(v, r, `${label}[${j}]`);
      else assert.ok(Math.abs(v - r) <= tol * Math.max(1, Math.abs(r)), `${label}[${j}]: native ${v} vs cpu ${r}`);
    });
  });
}

/**
 * Runs an ES-module script (which prints "<the addon's thread count> <digest>") in a process started
 * with LLAVA_MORE_THREADS=threads (in env, default this process's) and returns the digest: kernels whose bits must not depend on the
 * thread count compare two of these.
 */
export function digestWithThreads(script: string, threads: number, env: NodeJS.ProcessEnv = process.env): string {
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", cwd: projectPath(), env: { ...env, LLAVA_MORE_THREADS: String(threads) } });
  assert.equal(run.status, 0, run.stderr);
  const [count, hash] = run.stdout.trim().split(" ");
  assert.equal(count, String(threads), "the addon took its thread count from LLAVA_MORE_THREADS");
  return hash!;
}

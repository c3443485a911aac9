import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuDescription, runTorchPeer, torchPython } from "../bench/peer.js";

test("cpuDescription names the CPU and lists only known extension flags", () => {
  const cpu = cpuDescription();
  assert.ok(cpu.model.length > 0);
  for (const flag of cpu.flags) assert.match(flag, /^(avx|avx2|fma|avx512\w*|amx_\w+)$/);
});

test("the PyTorch peer trains both issue-shape models at a tiny size, or says why it is skipped", { timeout: 120_000 }, () => {
  const shapes = {
    steps: 1,
    warmup: 1,
    decoder: { config: { hiddenSize: 16, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 24, vocabSize: 32, numLayers: 1, normEps: 1e-5, ropeTheta: 10000 }, batch: 2, seq: 8 },
    vit: { config: { imageSize: 16, patchSize: 8, channels: 3, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, normEps: 1e-5 }, batch: 2 },
  };
  // This process pins its own OpenBLAS (pinBlasKernels); the peer must pick its kernels for the CPU.
  const before = process.env["OPENBLAS_CORETYPE"];
  process.env["OPENBLAS_CORETYPE"] = "Haswell";
  const peer = runTorchPeer(shapes);
  if (before === undefined) delete process.env["OPENBLAS_CORETYPE"];
  else process.env["OPENBLAS_CORETYPE"] = before;
  if (torchPython() === undefined) {
    assert.ok("skipped" in peer);
    assert.match(peer.skipped, /python3-torch/);
    return;
  }
  assert.ok(!("skipped" in peer));
  assert.equal(peer.env.OMP_WAIT_POLICY, "PASSIVE");
  assert.equal(peer.openblasCoretype, null);
  assert.ok(peer.msPerStep.decoder > 0 && peer.msPerStep.vit > 0);
});

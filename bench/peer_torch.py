"""PyTorch peer of `npm run bench -- --peer`: the bench's two issue-shape rows, the same models and steps.

Reads one JSON object on argv[1] (the shapes the TypeScript bench measured, so there is one source of
truth) and prints one JSON object: PyTorch's version, threads and the median milliseconds per step of
each row. Run by bench/bench.ts right after its own rows, in the same process tree and sitting.

  decoder: LLaMA-style (RMSNorm, RoPE, SwiGLU, untied head), causal LM loss, AdamW, batch x seq tokens
  vit:     CLIP-style (CLS, pre-LN, quick-GELU, post-LN, CLS pooled), MSE to a fixed target, AdamW
"""
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq, dim, theta):
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2).float() / dim))
    freqs = torch.outer(torch.arange(seq).float(), inv)
    emb = torch.cat([freqs, freqs], -1)
    return emb.cos(), emb.sin()


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
    return x * cos + rotated * sin


class DecoderLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, h, kv, hd = c["hiddenSize"], c["numHeads"], c["numKvHeads"], c["headDim"]
        self.h, self.kv, self.hd = h, kv, hd
        self.input_norm = RMSNorm(d, c["normEps"])
        self.post_norm = RMSNorm(d, c["normEps"])
        self.q = nn.Linear(d, h * hd, bias=False)
        self.k = nn.Linear(d, kv * hd, bias=False)
        self.v = nn.Linear(d, kv * hd, bias=False)
        self.o = nn.Linear(h * hd, d, bias=False)
        self.gate = nn.Linear(d, c["intermediateSize"], bias=False)
        self.up = nn.Linear(d, c["intermediateSize"], bias=False)
        self.down = nn.Linear(c["intermediateSize"], d, bias=False)

    def forward(self, x, cos, sin):
        b, t, _ = x.shape
        y = self.input_norm(x)
        q = self.q(y).view(b, t, self.h, self.hd).transpose(1, 2)
        k = self.k(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        v = self.v(y).view(b, t, self.kv, self.hd).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if self.kv != self.h:
            k = k.repeat_interleave(self.h // self.kv, 1)
            v = v.repeat_interleave(self.h // self.kv, 1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        mask = torch.ones(t, t, dtype=torch.bool).triu(1)
        att = scores.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, -1))
        y = self.post_norm(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Decoder(nn.Module):
    def __init__(self, c, seq):
        super().__init__()
        self.embed = nn.Embedding(c["vocabSize"], c["hiddenSize"])
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c["numLayers"]))
        self.norm = RMSNorm(c["hiddenSize"], c["normEps"])
        self.head = nn.Linear(c["hiddenSize"], c["vocabSize"], bias=False)
        cos, sin = rope_tables(seq, c["headDim"], c["ropeTheta"])
        self.register_buffer("cos", cos)
        self.register_buffer("sin", sin)

    def forward(self, ids):
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, self.cos, self.sin)
        return self.head(self.norm(x))


class VitLayer(nn.Module):
    def __init__(self, d, heads, ffn, eps):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(d, eps=eps)
        self.qkv = nn.ModuleList(nn.Linear(d, d) for _ in range(3))
        self.o = nn.Linear(d, d)
        self.norm2 = nn.LayerNorm(d, eps=eps)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)

    def forward(self, x):
        b, t, d = x.shape
        hd = d // self.heads
        y = self.norm1(x)
        q, k, v = (m(y).view(b, t, self.heads, hd).transpose(1, 2) for m in self.qkv)
        att = ((q @ k.transpose(-1, -2)) / math.sqrt(hd)).softmax(-1)
        x = x + self.o((att @ v).transpose(1, 2).reshape(b, t, d))
        h = self.fc1(self.norm2(x))
        return x + self.fc2(h * torch.sigmoid(1.702 * h))


class Vit(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["hiddenSize"], c["patchSize"]
        grid = c["imageSize"] // p
        self.patch = nn.Conv2d(c["channels"], d, p, p, bias=False)
        self.cls = nn.Parameter(torch.randn(d) * 0.02)
        self.pos = nn.Parameter(torch.randn(grid * grid + 1, d) * 0.02)
        self.pre = nn.LayerNorm(d, eps=c["normEps"])
        self.layers = nn.ModuleList(VitLayer(d, c["numHeads"], c["intermediateSize"], c["normEps"]) for _ in range(c["numLayers"]))
        self.post = nn.LayerNorm(d, eps=c["normEps"])

    def forward(self, images):
        x = self.patch(images).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], 1, -1)
        x = self.pre(torch.cat([cls, x], 1) + self.pos)
        for layer in self.layers:
            x = layer(x)
        return self.post(x)[:, 0]


def median_ms(step, steps, warmup):
    for _ in range(warmup):
        step()
    samples = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main():
    spec = json.loads(sys.argv[1])
    torch.manual_seed(1)
    torch.set_num_threads(spec["threads"])
    steps, warmup = spec["steps"], spec["warmup"]
    rows = {}

    d = spec["decoder"]
    batch, seq = d["batch"], d["seq"]
    model = Decoder(d["config"], seq)
    ids = (torch.arange(batch * seq) * 31 + 7).remainder(d["config"]["vocabSize"]).view(batch, seq)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def decoder_step():
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        return loss.item()

    rows["decoder"] = median_ms(decoder_step, steps, warmup)

    v = spec["vit"]
    c = v["config"]
    vit = Vit(c)
    images = torch.rand(v["batch"], c["channels"], c["imageSize"], c["imageSize"])
    target = torch.randn(v["batch"], c["hiddenSize"])
    vopt = torch.optim.AdamW(vit.parameters(), lr=1e-3)

    def vit_step():
        vopt.zero_grad(set_to_none=True)
        loss = (vit(images) - target).pow(2).mean()
        loss.backward()
        vopt.step()
        return loss.item()

    rows["vit"] = median_ms(vit_step, steps, warmup)
    # The OpenBLAS kernels PyTorch ran on: null when OpenBLAS chose them for the CPU itself.
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "openblasCoretype": coretype, "msPerStep": rows}))


if __name__ == "__main__":
    main()

import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import {
  MAX_HEADER_BYTES,
  encodeSafetensors,
  fromFloat16Bits,
  loadCheckpoint,
  readConfig,
  readSafetensors,
  saveCheckpoint,
  toFloat16Bits,
} from "../src/models/checkpoint.js";
import { CausalLM } from "../src/models/llm/decoder.js";
import { llmConfig } from "../src/models/llm/registry.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { VisionTower } from "../src/models/vision/vit.js";
import { tempDir } from "./helpers.js";

before(async () => {
  await initBackend();
});

const bits = (m: { namedParameters(): [string, tf.Variable][] }) =>
  new Map(m.namedParameters().map(([n, v]) => [n, Array.from(new Uint32Array(new Float32Array(v.dataSync()).buffer))]));

test("fp32 round trip is bit-exact and config.json travels with it", () => {
  const config = llmConfig("gemma2", "tiny");
  const saved = new CausalLM(config, 1);
  const dir = tempDir();
  const files = saveCheckpoint(dir, saved, config);
  assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), ["model.safetensors", "config.json"]);
  const loaded = new CausalLM(config, 99);
  assert.notDeepEqual(bits(loaded), bits(saved));
  loadCheckpoint(dir, loaded);
  assert.deepEqual(bits(loaded), bits(saved));
  assert.deepEqual(readConfig(dir), JSON.parse(JSON.stringify(config)));
  const { metadata } = readSafetensors(join(dir, "model.safetensors"));
  assert.equal(metadata["format"], "pt");
});

test("the file is standard safetensors: u64 header length, JSON header, 8-byte aligned data", () => {
  const tower = new VisionTower(visionConfig("dinov2-reg", "tiny"), 2);
  const dir = tempDir();
  saveCheckpoint(dir, tower, tower.config);
  const buf = readFileSync(join(dir, "model.safetensors"));
  const n = Number(buf.readBigUInt64LE(0));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
  assert.deepEqual(header["embeddings.register_tokens"]?.shape, [1, 4, tower.config.hiddenSize]);
  assert.equal(header["embeddings.register_tokens"]?.dtype, "F32");
  const ends = Object.entries(header).filter(([k]) => k !== "__metadata__").map(([, e]) => e.data_offsets[1]!);
  assert.equal(Math.max(...ends), buf.length - 8 - n);
});

test("float16: exact on representable values, rounds to nearest even, saturates to infinity", () => {
  for (const v of [0, 1, -2, 0.5, 65504, 2 ** -24, 1 + 2 ** -10]) assert.equal(fromFloat16Bits(toFloat16Bits(v)), v);
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11)), 1); // halfway -> even
  assert.equal(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(fromFloat16Bits(toFloat16Bits(1e6)), Infinity);
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN))));
  assert.equal(toFloat16Bits(1), 0x3c00);
});

test("fp16 storage halves the weights and reloads within fp16 precision", () => {
  const config = llmConfig("vicuna", "tiny");
  const model = new CausalLM(config, 3);
  const dir32 = tempDir();
  const dir16 = tempDir();
  saveCheckpoint(dir32, model, config);
  saveCheckpoint(dir16, model, config, { dtype: "F16" });
  const size = (d: string) => readFileSync(join(d, "model.safetensors")).length;
  assert.ok(size(dir16) < 0.55 * size(dir32));
  const loaded = new CausalLM(config, 4);
  loadCheckpoint(dir16, loaded);
  const a = model.namedParameters();
  const b = new Map(loaded.namedParameters());
  for (const [name, v] of a) {
    const x = v.dataSync();
    const y = b.get(name)!.dataSync();
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= Math.abs(x[i]!) * 2 ** -11 + 2 ** -24, name);
  }
});

/** A valid single-tensor file, with its header replaced by `header` and data of `dataBytes` bytes. */
function craft(header: unknown, dataBytes: number, headerLength?: bigint): string {
  const json = Buffer.from(JSON.stringify(header));
  const buf = Buffer.alloc(8 + json.length + dataBytes);
  buf.writeBigUInt64LE(headerLength ?? BigInt(json.length), 0);
  json.copy(buf, 8);
  const path = join(tempDir(), "bad.safetensors");
  writeFileSync(path, buf);
  return path;
}

test("malformed safetensors files are rejected with clear errors", () => {
  const ok = { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } };
  assert.doesNotThrow(() => readSafetensors(craft(ok, 16)));
  const cases: [string, string, RegExp][] = [
    ["too short", (() => { const p = join(tempDir(), "short.safetensors"); writeFileSync(p, Buffer.alloc(5)); return p; })(), /5 bytes is too short/],
    ["huge header length", craft(ok, 16, 2n ** 62n), /header length 4611686018427387904 exceeds the 100000000-byte limit/],
    ["header past the end", craft(ok, 16, 5000n), /header length 5000 runs past the end of the \d+-byte file \(truncated\?\)/],
    ["truncated data", craft(ok, 8), /tensor "w": data_offsets \[0, 16\] run past the end of the data \(8 bytes\)/],
    ["wrong dtype", craft({ w: { ...ok.w, dtype: "Q4" } }, 16), /tensor "w": unsupported dtype "Q4"; expected one of F32, F16, BF16/],
    ["shape vs bytes", craft({ w: { ...ok.w, shape: [3, 2] } }, 16), /shape \[3, 2\] of F32 needs 24 bytes, data_offsets give 16/],
    ["bad offsets", craft({ w: { ...ok.w, data_offsets: [16, 0] } }, 16), /data_offsets must be \[begin, end\] with 0 <= begin <= end/],
    ["overlap", craft({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 16), /tensors "a" and "b" overlap/],
    ["not JSON", (() => { const p = join(tempDir(), "x.safetensors"); const b = Buffer.alloc(8 + 3); b.writeBigUInt64LE(3n, 0); b.write("{{{", 8); writeFileSync(p, b); return p; })(), /the header is not valid JSON/],
    ["not an object", craft([1, 2], 0), /the header must be a JSON object/],
    ["negative shape", craft({ w: { ...ok.w, shape: [-1, 2] } }, 16), /shape must be a list of non-negative integers/],
    ["missing file", "/nonexistent/model.safetensors", /cannot open/],
  ];
  for (const [label, path, pattern] of cases) assert.throws(() => readSafetensors(path), pattern, label);
  assert.equal(MAX_HEADER_BYTES, 100_000_000);
});

test("loading checks names and shapes against the model", () => {
  const config = llmConfig("llama3", "tiny");
  const model = new CausalLM(config, 5);
  type Entry = [string, { shape: number[]; data: Float32Array }];
  const params: Entry[] = model.namedParameters().map(([n, v]) => [n, { shape: v.shape, data: v.dataSync() as Float32Array }]);
  const write = (entries: Entry[]) => {
    const dir = tempDir();
    writeFileSync(join(dir, "model.safetensors"), encodeSafetensors(new Map(entries)));
    return dir;
  };
  assert.throws(() => loadCheckpoint(write(params.slice(1)), model), /missing 1 parameter\(s\) of the model: model\.embed_tokens\.weight/);
  assert.throws(() => loadCheckpoint(write([...params, ["extra.weight", { shape: [1], data: new Float32Array(1) }]]), model), /1 tensor\(s\) the model does not have: extra\.weight/);
  const reshaped = params.map(([n, t], i): Entry => (i === 0 ? [n, { shape: [t.shape[1]!, t.shape[0]!], data: t.data }] : [n, t]));
  assert.throws(() => loadCheckpoint(write(reshaped), model), /tensor "model\.embed_tokens\.weight" has shape \[\d+, \d+\], the model expects/);
});

test("a checkpoint holding NaN or Infinity is refused with the file and tensor name", () => {
  const dir = tempDir();
  for (const [label, value] of [["NaN", NaN], ["Infinity", Infinity], ["-Infinity", -Infinity]] as const) {
    const file = join(dir, `${label}.safetensors`);
    writeFileSync(file, encodeSafetensors(new Map([["model.layers.0.mlp.up_proj.weight", { shape: [3], data: new Float32Array([0.5, value, 1]) }]])));
    assert.throws(() => readSafetensors(file), new RegExp(`${file.replace(/[.]/g, "\\.")}: tensor "model\\.layers\\.0\\.mlp\\.up_proj\\.weight" holds ${label} at index 1: non-finite weights`), label);
  }
});

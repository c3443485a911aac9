/**
 * Checkpoints as Hugging Face does them: `model.safetensors` (tensors by parameter name) and
 * `config.json`, both written atomically. The reader validates the safetensors header before it
 * reads any tensor data, so a truncated or hostile file fails with a clear error, never a crash or
 * an out-of-memory.
 */
import * as tf from "@tensorflow/tfjs";
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import type { Module } from "./module.js";

export type StorageDtype = "F32" | "F16";

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
/** The safetensors format caps the header at 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export class CheckpointError extends Error {
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = "CheckpointError";
  }
}

// ---- float16 <-> float32 ---------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half from float, round to nearest even; overflow to ±Inf, NaN kept. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let m = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  let m = mant >>> 13;
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// ---- writing ---------------------------------------------------------------------------------

/** Serialises named float32 tensors to safetensors bytes (names sorted, data 8-byte aligned). */
export function encodeSafetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>, dtype: StorageDtype = "F32", metadata: Record<string, string> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * DTYPE_BYTES[dtype]!;
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    if (dtype === "F32") {
      for (let i = 0; i < data.length; i++) view.setFloat32(at + 4 * i, data[i]!, true);
      at += 4 * data.length;
    } else {
      for (let i = 0; i < data.length; i++) view.setUint16(at + 2 * i, toFloat16Bits(data[i]!), true);
      at += 2 * data.length;
    }
  }
  return out;
}

export interface SaveOptions {
  dtype?: StorageDtype;
  metadata?: Record<string, string>;
}

/** Writes `<dir>/model.safetensors` and `<dir>/config.json`, each atomically. */
export function saveCheckpoint(dir: string, model: Module, config: object, options: SaveOptions = {}): string[] {
  const tensors = new Map(model.namedParameters().map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  const weights = join(dir, "model.safetensors");
  const configPath = join(dir, "config.json");
  writeFileAtomic(weights, encodeSafetensors(tensors, options.dtype ?? "F32", { format: "pt", ...options.metadata }));
  writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return [weights, configPath];
}

// ---- reading ---------------------------------------------------------------------------------

export interface SafetensorsHeader {
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

const isNonNegativeInt = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;

/** Validates a header against the data section's length; `file` names the source in errors. */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, file: string): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(headerBytes).toString("utf8"));
  } catch (err) {
    throw new CheckpointError(file, `the header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new CheckpointError(file, "the header must be a JSON object");
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Object.values(raw).some((v) => typeof v !== "string")) {
        throw new CheckpointError(file, "__metadata__ must map strings to strings");
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as Partial<TensorEntry> | null;
    if (typeof e !== "object" || e === null) throw new CheckpointError(file, `tensor "${name}": expected an object with dtype, shape, data_offsets`);
    if (typeof e.dtype !== "string" || !(e.dtype in DTYPE_BYTES)) {
      throw new CheckpointError(file, `tensor "${name}": unsupported dtype ${JSON.stringify(e.dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(", ")}`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegativeInt)) throw new CheckpointError(file, `tensor "${name}": shape must be a list of non-negative integers`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt) || offsets[0] > offsets[1]) {
      throw new CheckpointError(file, `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    if (offsets[1] > dataLength) throw new CheckpointError(file, `tensor "${name}": data_offsets [${offsets.join(", ")}] run past the end of the data (${dataLength} bytes)`);
    const expected = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype]!;
    if (offsets[1] - offsets[0] !== expected) {
      throw new CheckpointError(file, `tensor "${name}": shape [${e.shape.join(", ")}] of ${e.dtype} needs ${expected} bytes, data_offsets give ${offsets[1] - offsets[0]}`);
    }
    entries.set(name, { dtype: e.dtype, shape: e.shape, data_offsets: [offsets[0], offsets[1]] });
  }
  const spans = [...entries].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1]!;
    const [name, cur] = spans[i]!;
    if (cur.data_offsets[0] < prev.data_offsets[1]) throw new CheckpointError(file, `tensors "${prevName}" and "${name}" overlap in the data section`);
  }
  return { entries, metadata, dataStart: 8 + headerBytes.length };
}

function decode(entry: TensorEntry, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = entry.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  if (entry.dtype === "F32") for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  else if (entry.dtype === "F16") for (let i = 0; i < n; i++) out[i] = fromFloat16Bits(view.getUint16(2 * i, true));
  else for (let i = 0; i < n; i++) out[i] = new Float32Array(new Uint32Array([view.getUint16(2 * i, true) << 16]).buffer)[0]!;
  return out;
}

/** The index of the first NaN or ±Infinity in `data`, or -1 when every value is finite. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** Reads and validates a safetensors file into float32 arrays by name; a tensor holding NaN or ±Infinity is refused. */
export function readSafetensors(file: string): { tensors: Map<string, { shape: number[]; data: Float32Array }>; metadata: Record<string, string> } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new CheckpointError(file, `cannot open: ${(err as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new CheckpointError(file, `${size} bytes is too short for a safetensors file (8-byte header length first)`);
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const headerLength = lengthBytes.readBigUInt64LE(0);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new CheckpointError(file, `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (headerLength > BigInt(size - 8)) throw new CheckpointError(file, `header length ${headerLength} runs past the end of the ${size}-byte file (truncated?)`);
    const headerBytes = Buffer.alloc(Number(headerLength));
    readSync(fd, headerBytes, 0, headerBytes.length, 8);
    const header = parseSafetensorsHeader(headerBytes, size - 8 - headerBytes.length, file);
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, entry] of header.entries) {
      const bytes = Buffer.alloc(entry.data_offsets[1] - entry.data_offsets[0]);
      readSync(fd, bytes, 0, bytes.length, header.dataStart + entry.data_offsets[0]);
      const data = decode(entry, bytes);
      const bad = firstNonFinite(data);
      if (bad >= 0) throw new CheckpointError(file, `tensor "${name}" holds ${data[bad]} at index ${bad}: non-finite weights (a diverged run or a damaged file) are never loaded`);
      tensors.set(name, { shape: entry.shape, data });
    }
    return { tensors, metadata: header.metadata };
  } finally {
    closeSync(fd);
  }
}

/** Loads `<dir>/model.safetensors` into the model: every parameter present, shapes equal, nothing extra. */
export function loadCheckpoint(dir: string, model: Module): void {
  const file = join(dir, "model.safetensors");
  const { tensors } = readSafetensors(file);
  const params = model.namedParameters();
  const missing = params.filter(([name]) => !tensors.has(name)).map(([name]) => name);
  if (missing.length > 0) throw new CheckpointError(file, `missing ${missing.length} parameter(s) of the model: ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`);
  const known = new Set(params.map(([name]) => name));
  const extra = [...tensors.keys()].filter((name) => !known.has(name));
  if (extra.length > 0) throw new CheckpointError(file, `${extra.length} tensor(s) the model does not have: ${extra.slice(0, 5).join(", ")}${extra.length > 5 ? ", …" : ""}`);
  for (const [name, v] of params) {
    const t = tensors.get(name)!;
    if (t.shape.join(",") !== v.shape.join(",")) throw new CheckpointError(file, `tensor "${name}" has shape [${t.shape.join(", ")}], the model expects [${v.shape.join(", ")}]`);
  }
  for (const [name, v] of params) {
    const t = tensors.get(name)!;
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, "float32")));
  }
}

export function readConfig<T>(dir: string): T {
  const file = join(dir, "config.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as T;
  } catch (err) {
    throw new CheckpointError(file, `cannot read the config: ${(err as Error).message}`);
  }
}

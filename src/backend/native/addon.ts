/** The addon's kernel builds (native/src/kernels.h): x86-64-v3, x86-64-v4, and -march=native where the build machine has neither. */
export type AddonIsa = "avx2" | "avx512" | "generic";

/** The N-API addon's interface: the kernels native/ compiles, which every group of native kernels calls. */
export interface NativeAddon {
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean, aOffsets: Float64Array, bOffsets: Float64Array, builtin?: boolean): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, shape: Float64Array, aStrides: Float64Array, bStrides: Float64Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  copy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, shape: Float64Array, srcStrides: Float64Array, dstStrides: Float64Array): void;
  reduceRows(op: number, x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  reduceCols(op: number, x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  normForward(x: Float32Array, w: Float32Array, b: Float32Array | null, out: Float32Array, mean: Float32Array, rstd: Float32Array, d: number, eps: number, center: boolean, offset: number): void;
  normBackward(x: Float32Array, w: Float32Array, dy: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array | null, d: number, center: boolean, offset: number): void;
  activation(kind: number, x: Float32Array, out: Float32Array): void;
  activationGrad(kind: number, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  attentionSoftmax(scores: Float32Array, mask: Float32Array | null, y: Float32Array, tq: number, tk: number, scale: number, cap: number): void;
  attentionSoftmaxGrad(y: Float32Array, dy: Float32Array, scores: Float32Array, ds: Float32Array, tk: number, scale: number, cap: number): void;
  linearForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, rows: number, inDim: number, outDim: number): void;
  linearBackward(x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array | null, rows: number, inDim: number, outDim: number): void;
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, outParam: Float32Array, outM: Float32Array, outV: Float32Array, hyper: Float64Array): void;
  gatedActivation(kind: number, g: Float32Array, u: Float32Array, y: Float32Array): void;
  gatedActivationGrad(kind: number, g: Float32Array, u: Float32Array, dy: Float32Array, dg: Float32Array, du: Float32Array): void;
  causalLmLoss(logits: Float32Array, labels: Int32Array, lse: Float32Array, batch: number, seq: number, vocab: number, ignore: number): number;
  causalLmLossGrad(logits: Float32Array, labels: Int32Array, lse: Float32Array, dy: number, dlogits: Float32Array, batch: number, seq: number, vocab: number, ignore: number): void;
  /** dims: [batch, seq, heads, kvHeads, headDim, rotary, causal (0/1), window (0: none)]. */
  /** q, k, v, or with dims[8] = 1 the packed projection qkv [B, T, (H + 2·H_kv)·d] as q and k, v null. */
  attentionForward(q: Float32Array, k: Float32Array | null, v: Float32Array | null, cos: Float32Array | null, sin: Float32Array | null, keyMask: Float32Array | null, ctx: Float32Array, probs: Float32Array, dims: Float64Array, scale: number, cap: number): void;
  /** Packed as attentionForward: then dq is dqkv, and dk, dv null. */
  attentionBackward(q: Float32Array, k: Float32Array | null, v: Float32Array | null, cos: Float32Array | null, sin: Float32Array | null, probs: Float32Array, dctx: Float32Array, dq: Float32Array, dk: Float32Array | null, dv: Float32Array | null, dims: Float64Array, scale: number, cap: number): void;
  /**
   * blasCore: OpenBLAS's kernel set in use ("builtin" without OpenBLAS); isa: the kernel build in use; isas: the builds this CPU runs,
   * base first; sgemm: what computes OpenBLAS's products, "openblas" or "haswell-order/<isa>" (the bits of OpenBLAS 0.3.21's Haswell
   * kernels with that build's vectors, chosen at load where it is faster), "builtin" without OpenBLAS.
   */
  info(): { blas: "openblas" | "builtin"; blasCore: string; threads: number; isa: AddonIsa; isas: AddonIsa[]; sgemm: string };
  /** Makes one of info().isas the build every kernel runs (src/backend/kernel_build.ts chooses it once, at load). */
  selectKernels(isa: string): string;
  /** Sets info().sgemm ("openblas" or "haswell-order/<isa>", for tests and timing); returns the route before. */
  setSgemm(route: string): string;
}

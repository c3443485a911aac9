/**
 * The WebGPU backend: `@tensorflow/tfjs-backend-webgpu` on Dawn's Node bindings (npm `webgpu`, a
 * prebuilt dawn.node per platform). A hardware adapter is looked for through Vulkan (Linux) or the
 * platform's native API; the software adapter (Mesa llvmpipe behind Dawn's OpenGL ES backend, in
 * compatibility mode) is taken only when asked for: it is a correctness path, not a speed path.
 *
 * Facts this relies on: tfjs-backend-webgpu registers itself at import only when
 * `globalThis.navigator.gpu` exists, so the adapter is found first; `webgpu`'s `globals` (GPUBufferUsage
 * and friends) must be on `globalThis`; Dawn rejects Debian 12's Vulkan lavapipe, while OpenGL ES on
 * llvmpipe works with `EGL_PLATFORM=surfaceless` and `featureLevel: "compatibility"`.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, TensorInfo } from "@tensorflow/tfjs";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";

/** The adapter a run used, as recorded in run.json and the bench results. */
export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** WebGPU's own flag: the browser-style fallback (software) adapter. */
  fallback: boolean;
  /** A software rasteriser (llvmpipe, lavapipe, SwiftShader, WARP) or a fallback adapter. */
  software: boolean;
  /** Dawn's backend: vulkan, metal, d3d12, opengles. */
  api: string;
}

interface DawnAdapter {
  info: { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean; type?: string; backendType?: string };
  requestDevice(descriptor?: object): Promise<unknown>;
}
interface DawnGpu {
  requestAdapter(options?: object): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

const SOFTWARE = /llvmpipe|lavapipe|swiftshader|software|warp|basic render/i;

function describe(adapter: DawnAdapter, api: string): GpuAdapterInfo {
  const i = adapter.info;
  const fallback = !!i.isFallbackAdapter;
  // Dawn's OpenGL ES adapter on Mesa reports only "OpenGL ES 3.2 Mesa …": without a GPU vendor it is llvmpipe here.
  const software = fallback || i.type === "cpu" || SOFTWARE.test(`${i.description} ${i.architecture} ${i.vendor}`) || (api === "opengles" && !i.vendor);
  return { vendor: i.vendor, architecture: i.architecture, description: i.description, fallback, software, api };
}

const ICD_DIRS = ["/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"];

/**
 * On Linux, why a hardware Vulkan adapter cannot exist (no ICD other than a software one, no loader),
 * or undefined when one may: probing Dawn costs a second and prints Vulkan errors on every CPU machine.
 */
export function noHardwareVulkan(): string | undefined {
  if (process.platform !== "linux") return undefined;
  if (process.env["VK_ICD_FILENAMES"] || process.env["VK_DRIVER_FILES"]) return undefined;
  const icds = ICD_DIRS.filter(existsSync).flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".json")));
  const hardware = icds.filter((f) => !/lvp|lavapipe|swiftshader/i.test(f));
  if (hardware.length === 0) return icds.length ? `only software Vulkan drivers (${icds.join(", ")})` : `no Vulkan driver (no ICD in ${ICD_DIRS.join(", ")})`;
  return undefined;
}

let registered: GpuAdapterInfo | undefined;

/**
 * Finds an adapter and registers the "webgpu" TF.js backend on it. Throws with the reason when there
 * is none: no `webgpu` package, no hardware adapter (and software not allowed), or none at all.
 */
export async function registerWebGpuBackend(options: { allowSoftware: boolean }): Promise<GpuAdapterInfo> {
  if (registered) {
    if (registered.software && !options.allowSoftware) throw new Error(`only a software adapter (${registered.description}); TFJS_BACKEND=webgpu uses it`);
    return registered;
  }
  const hint = "; TFJS_BACKEND=webgpu also accepts a software adapter";
  const noVulkan = noHardwareVulkan();
  const seen: string[] = noVulkan ? [`vulkan: ${noVulkan}`] : [];
  const tries = [
    ...(noVulkan ? [] : [{ api: process.platform === "darwin" ? "metal" : process.platform === "win32" ? "d3d12" : "vulkan", flags: [] as string[], featureLevel: "core" }]),
    ...(options.allowSoftware ? [{ api: "opengles", flags: ["backend=opengles"], featureLevel: "compatibility" }] : []),
  ];
  if (tries.length === 0) throw new Error(`no hardware WebGPU adapter (${seen.join("; ")})${hint}`);
  // Dawn warns on every start without it; EGL needs no display for llvmpipe with it.
  process.env["XDG_RUNTIME_DIR"] ??= tmpdir();
  process.env["EGL_PLATFORM"] ??= "surfaceless";
  const dawn = (await import("webgpu")) as unknown as DawnModule;
  Object.assign(globalThis, dawn.globals);
  for (const t of tries) {
    const gpu = dawn.create(t.flags);
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance", featureLevel: t.featureLevel });
    if (!adapter) {
      seen.push(`${t.api}: no adapter`);
      continue;
    }
    const info = describe(adapter, t.api);
    if (info.software && !options.allowSoftware) {
      seen.push(`${t.api}: only the software adapter ${info.description}`);
      continue;
    }
    // tfjs-backend-webgpu asks navigator.gpu for its adapter at registration: hand it this one. The
    // Dawn instance must stay referenced: the adapter does not keep it alive, and once it was collected
    // the process crashed or hung at a random later kernel. navigator (a global) holds it.
    const navigatorGpu = { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => "rgba8unorm", instance: gpu };
    Object.defineProperty(globalThis, "navigator", { value: { gpu: navigatorGpu }, configurable: true, writable: true });
    await import("@tensorflow/tfjs-backend-webgpu");
    boundAddN();
    registered = info;
    return info;
  }
  throw new Error(`no ${options.allowSoftware ? "" : "hardware "}WebGPU adapter (${seen.join("; ")})${options.allowSoftware ? "" : hint}`);
}

/**
 * tfjs-backend-webgpu's AddN binds one storage buffer per input, and an adapter allows only
 * maxStorageBuffersPerShaderStage of them (8 on most GPUs, 4 in compatibility mode): the gradient norm
 * over a model's parameters made an invalid pipeline and a wrong sum, silently. Its Concat splits
 * its inputs to fit; this does the same for AddN — partial sums of chunks that fit, then their sum.
 */
function boundAddN(): void {
  const original = tf.getKernel(tf.AddN, "webgpu");
  if (!original) return;
  type Args = Parameters<KernelFunc>[0];
  const addN = (args: Args): TensorInfo => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const backend = args.backend as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } }; disposeData(dataId: object): void };
    const fit = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= fit) return original.kernelFunc(args) as TensorInfo;
    const chunks = Math.ceil(inputs.length / fit);
    const partial: TensorInfo[] = [];
    for (let c = 0; c < chunks; c++) {
      const chunk = inputs.slice(Math.floor((c * inputs.length) / chunks), Math.floor(((c + 1) * inputs.length) / chunks));
      partial.push(original.kernelFunc({ ...args, inputs: chunk as never }) as TensorInfo);
    }
    const total = addN({ ...args, inputs: partial as never });
    for (const p of partial) backend.disposeData(p.dataId);
    return total;
  };
  tf.unregisterKernel(tf.AddN, "webgpu");
  tf.registerKernel({ kernelName: tf.AddN, backendName: "webgpu", kernelFunc: addN as KernelFunc });
}

/** The adapter the "webgpu" backend was registered on, if it was. */
export function registeredAdapter(): GpuAdapterInfo | undefined {
  return registered;
}

/** One line for logs: "NVIDIA Hopper (vulkan)" or "OpenGL ES 3.2 Mesa 22.3.6 (opengles, software)". */
export function describeAdapter(info: GpuAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(" ") || info.description;
  const detail = name === info.description || !info.description ? "" : `: ${info.description}`;
  return `${name}${detail} (${info.api}${info.software ? ", software" : ""})`;
}

/**
 * The GPU bundle's adapter check: finds a WebGPU adapter (a software one only with
 * LLAVA_MORE_SOFTWARE_GPU=1), prints it as one JSON line and exits 0; otherwise prints why and exits 2.
 */
import { describeAdapter, registerWebGpuBackend } from "../src/backend/webgpu.js";

try {
  const adapter = await registerWebGpuBackend({ allowSoftware: process.env["LLAVA_MORE_SOFTWARE_GPU"] === "1" });
  console.log(JSON.stringify({ adapter, line: describeAdapter(adapter) }));
  process.exit(0);
} catch (err) {
  console.error(`gpu check: ${(err as Error).message}`);
  process.exit(2);
}

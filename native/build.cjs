// Builds the native kernels with node-gyp during `npm install`. Never fails the install: without a
// compiler the workbench runs on WebAssembly, and this prints one line saying why.
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

if (process.env.LLAVA_MORE_NATIVE === "off") {
  console.log("llava-more: native kernels skipped (LLAVA_MORE_NATIVE=off)");
  process.exit(0);
}
const gyp =
  process.env.npm_config_node_gyp ||
  [join(process.execPath, "..", "..", "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js")].find(existsSync);
if (!gyp) {
  console.log("llava-more: native kernels not built (node-gyp not found); the WebAssembly backend will be used");
  process.exit(0);
}
// Build against the headers installed with this Node when present: no download is possible here.
const localHeaders = join(process.execPath, "..", "..");
const nodedir = process.env.npm_config_nodedir || (existsSync(join(localHeaders, "include", "node", "node_api.h")) ? localHeaders : undefined);
const result = spawnSync(process.execPath, [gyp, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: __dirname, encoding: "utf8" });
if (result.status !== 0) {
  const why = `${result.stderr || ""}${result.stdout || ""}`.trim().split("\n").filter((l) => /error/i.test(l)).slice(0, 3).join(" | ");
  console.log(`llava-more: native kernels not built (${why || `node-gyp exited with ${result.status}`}); the WebAssembly backend will be used`);
  process.exit(0);
}
const blas = require(join(__dirname, "build", "Release", "llava_native.node")).info().blas;
console.log(`llava-more: native kernels built (${blas === "openblas" ? "OpenBLAS" : "built-in matmul; install libopenblas-dev for OpenBLAS"})`);

// What binding.gyp compiles the kernels for, asked at configure time:
//   node detect-march.cjs          the base build's -march: x86-64-v3 (AVX2 + FMA) wherever the CPU
//                                  has it, so every such machine can run the portable bits; "native" elsewhere
//   node detect-march.cjs isa      its name: avx2, or generic for "native"
//   node detect-march.cjs avx512   "on" when the AVX-512 (x86-64-v4) build is compiled beside it: on an
//                                  x86-64-v3 base whose compiler accepts -march=x86-64-v4 (the addon
//                                  picks it at run time only on a CPU that has AVX-512); "off" otherwise,
//                                  or with LLAVA_MORE_AVX512=off
const { readFileSync } = require("node:fs");
const { spawnSync } = require("node:child_process");
let flags = "";
try {
  flags = (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8")) || ["", ""])[1];
} catch {}
const has = (f) => new RegExp(`\\b${f}\\b`).test(flags);
const v3 = process.arch === "x64" && ["avx2", "fma", "bmi1", "bmi2", "movbe", "f16c", "abm"].every(has);

/** Whether the C++ compiler node-gyp uses compiles and assembles 512-bit vector code for x86-64-v4. */
function compilerHasV4() {
  const source = "typedef float V __attribute__((vector_size(64)));\nV f(V a, V b) { return a * b + a; }\n";
  for (const cxx of [process.env.CXX, "g++", "c++"].filter(Boolean)) {
    const run = spawnSync(cxx, ["-march=x86-64-v4", "-O2", "-x", "c++", "-c", "-o", "/dev/null", "-"], { input: source, encoding: "utf8" });
    if (!run.error) return run.status === 0;
  }
  return false;
}

const what = process.argv[2];
if (what === "isa") process.stdout.write(v3 ? "avx2" : "generic");
else if (what === "avx512") process.stdout.write(v3 && process.env.LLAVA_MORE_AVX512 !== "off" && compilerHasV4() ? "on" : "off");
else process.stdout.write(v3 ? "x86-64-v3" : "native");

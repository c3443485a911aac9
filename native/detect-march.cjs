// Prints the -march value for the kernels: x86-64-v3 (AVX2 + FMA) wherever the CPU has it, so every such
// machine runs the same instructions and gets the same floating-point results (-march=native would use
// AVX-512 on some and not others); "native" elsewhere. binding.gyp calls it at configure time.
const { readFileSync } = require("node:fs");
let flags = "";
try {
  flags = (/^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8")) || ["", ""])[1];
} catch {}
const has = (f) => new RegExp(`\\b${f}\\b`).test(flags);
const v3 = process.arch === "x64" && ["avx2", "fma", "bmi1", "bmi2", "movbe", "f16c", "abm"].every(has);
process.stdout.write(v3 ? "x86-64-v3" : "native");

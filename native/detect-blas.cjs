// Prints the OpenBLAS include folder when cblas.h and libopenblas are installed, else nothing.
// binding.gyp calls it at configure time to decide between OpenBLAS and the built-in kernel.
const { existsSync } = require("node:fs");
const candidates = [
  ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/lib/x86_64-linux-gnu/libopenblas.so"],
  ["/usr/include/aarch64-linux-gnu/openblas-pthread", "/usr/lib/aarch64-linux-gnu/libopenblas.so"],
  ["/usr/include/openblas", "/usr/lib/libopenblas.so"],
  ["/usr/include/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libopenblas.so"],
];
if (process.env.LLAVA_MORE_NO_BLAS !== "1") {
  const found = candidates.find(([inc, lib]) => existsSync(`${inc}/cblas.h`) && existsSync(lib));
  if (found) process.stdout.write(found[0]);
}

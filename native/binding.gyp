{
  "variables": {
    "blas_include": "<!(node detect-blas.cjs)",
    "march": "<!(node detect-march.cjs)"
  },
  "targets": [
    {
      "target_name": "llava_native",
      "sources": ["src/addon.cc", "src/kernels.cc", "src/attention.cc", "src/gated.cc", "src/loss.cc"],
      "cflags_cc": ["-O3", "-march=<(march)", "-std=c++17", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["blas_include!=''", {
          "defines": ["USE_OPENBLAS=1"],
          "include_dirs": ["<(blas_include)"],
          "libraries": ["-lopenblas"]
        }]
      ]
    }
  ]
}

{
  "variables": {
    "blas_include": "<!(node detect-blas.cjs)",
    "march": "<!(node detect-march.cjs)",
    "isa": "<!(node detect-march.cjs isa)",
    "avx512": "<!(node detect-march.cjs avx512)"
  },
  "target_defaults": {
    "cflags_cc": ["-O3", "-std=c++17", "-fno-exceptions"],
    "cflags_cc!": ["-fno-rtti"],
    "conditions": [
      ["blas_include!=''", {
        "defines": ["USE_OPENBLAS=1"],
        "include_dirs": ["<(blas_include)"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "llava_native",
      "sources": ["src/addon.cc", "src/parallel.cc", "src/kernels.cc", "src/attention.cc", "src/gated.cc", "src/loss.cc"],
      "defines": ["LLAVA_ISA_NS=isa_<(isa)"],
      "cflags_cc": ["-march=<(march)"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["blas_include!=''", { "libraries": ["-lopenblas"] }],
        ["avx512=='on'", { "defines": ["LLAVA_HAVE_AVX512=1"], "dependencies": ["llava_kernels_avx512"] }]
      ]
    }
  ],
  "conditions": [
    ["avx512=='on'", {
      "targets": [
        {
          "target_name": "llava_kernels_avx512",
          "type": "static_library",
          "sources": ["src/kernels.cc", "src/attention.cc"],
          "defines": ["LLAVA_ISA_NS=isa_avx512"],
          "cflags_cc": ["-march=x86-64-v4", "-mprefer-vector-width=256", "-fPIC"]
        }
      ]
    }]
  ]
}

#!/bin/sh
# Runs the workbench's benchmark on a GPU node from the offline bundle written by `npm run gpu-bundle`:
# no network, no Node installed. Usage: run.sh OUT_DIR [bench options, e.g. --only ViT --steps 3]
# Finds the Vulkan loader and the GPU's Vulkan driver (ICD), checks the WebGPU adapter (with a time
# limit: it never hangs), then runs the bench on it, writing its JSON and log into OUT_DIR.
# LLAVA_MORE_SOFTWARE_GPU=1 accepts a software adapter (Mesa llvmpipe; for testing the bundle).
set -eu

fail() {
  echo "run.sh: $*" >&2
  exit "${code:-1}"
}

[ $# -ge 1 ] || { code=64 fail "usage: run.sh OUT_DIR [bench options]"; }
OUT=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=${LLAVA_MORE_BUNDLE_WORK:-${TMPDIR:-/tmp}/llava-more-gpu-$(id -u)}
mkdir -p "$WORK"

# 1. Unpack Node and Dawn once (checked by size, so a half-written copy is redone).
unpack() { # unpack SRC.gz DEST
  if [ ! -s "$2" ] || [ "$(wc -c < "$2")" != "$(cat "$1.size")" ]; then
    gzip -dc "$1" > "$2.part" && mv "$2.part" "$2" && chmod +x "$2"
  fi
}
unpack "$HERE/node.gz" "$WORK/node"
mkdir -p "$WORK/app"
cp -R "$HERE/app/." "$WORK/app/"
mkdir -p "$WORK/app/node_modules/webgpu/dist/linux-x64"
unpack "$HERE/dawn.node.gz" "$WORK/app/node_modules/webgpu/dist/linux-x64/dawn.node"
"$WORK/node" --version > /dev/null 2>&1 || code=3 fail "the bundled Node does not run here ($(uname -sm)); the bundle is for linux-x64"

# 2. The Vulkan loader and a GPU driver's ICD.
libdirs="/usr/lib64 /usr/lib/x86_64-linux-gnu /usr/lib /lib64 /lib/x86_64-linux-gnu $(echo "${LD_LIBRARY_PATH:-}" | tr ':' ' ')"
find_lib() { # find_lib NAME: a folder holding it
  if command -v ldconfig > /dev/null 2>&1; then
    path=$(ldconfig -p 2> /dev/null | awk -v n="$1" '$1 == n { print $NF; exit }')
    [ -n "$path" ] && { dirname "$path"; return 0; }
  fi
  for d in $libdirs; do [ -e "$d/$1" ] && { echo "$d"; return 0; }; done
  return 1
}
software=${LLAVA_MORE_SOFTWARE_GPU:-0}
if [ "$software" != "1" ]; then
  loader=$(find_lib libvulkan.so.1) || code=4 fail "no Vulkan loader (libvulkan.so.1) on this node: load your site's Vulkan module or add its lib folder to LD_LIBRARY_PATH"
  export LD_LIBRARY_PATH="$loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
    icd=$(ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json /usr/local/share/vulkan/icd.d/nvidia*.json 2> /dev/null | head -n 1 || true)
    if [ -z "$icd" ] && nvidia=$(find_lib libGLX_nvidia.so.0); then
      # The NVIDIA driver's Vulkan ICD is libGLX_nvidia; some nodes install the library without its JSON.
      icd="$WORK/nvidia_icd.json"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s/libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' "$nvidia" > "$icd"
    fi
    if [ -z "$icd" ]; then
      gpus=$(nvidia-smi -L 2> /dev/null || echo "nvidia-smi not found")
      code=5 fail "no GPU Vulkan driver (no nvidia*.json ICD in /usr/share/vulkan/icd.d, /etc/vulkan/icd.d; no libGLX_nvidia.so.0; $gpus)"
    fi
    export VK_ICD_FILENAMES="$icd"
  fi
fi

# 3. The adapter, with a time limit.
limit=""
command -v timeout > /dev/null 2>&1 && limit="timeout 120"
export LLAVA_MORE_ROOT="$WORK/app"
cd "$WORK/app"
if ! $limit "$WORK/node" check.mjs > "$OUT/adapter.json" 2> "$OUT/adapter.err"; then
  code=6 fail "no usable WebGPU adapter: $(tail -n 3 "$OUT/adapter.err")"
fi
echo "run.sh: adapter $(cat "$OUT/adapter.json")"

# 4. The bench on it.
[ "$software" = "1" ] && export TFJS_BACKEND=webgpu
"$WORK/node" bench.mjs --backend webgpu --reference none --out "$OUT" "$@" 2>&1 | tee "$OUT/bench.log"
status=$(tail -n 1 "$OUT/bench.log" | grep -c "wrote " || true)
[ "$status" = "1" ] || code=7 fail "the bench did not finish; see $OUT/bench.log"
echo "run.sh: results in $OUT"

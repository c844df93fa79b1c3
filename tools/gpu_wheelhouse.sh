#!/usr/bin/env bash
# Build the wheels that plugins/gpu/device_check.sh installs on a lent GPU machine (Python 3.12,
# CUDA 13, cupy-cuda13x, torch, pytest, numpy, pluggy and tqdm already there; no package
# index): stevedore (the one core dependency that image lacks) and, as the fallback should the
# build from the copied tree fail there, vqnet, vqnet-spec and vqnet-gpu, into .whl/
# (git-ignored), which the run names in `carry`.
#
#     tools/gpu_wheelhouse.sh            # here, where pip reaches the index
#     # then, with the device tool: run(command="bash plugins/gpu/device_check.sh", carry=[".whl"])
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUTDIR=${1:-.whl}
rm -rf "$OUTDIR"
mkdir -p "$OUTDIR"
"$PY" -m pip wheel -q --no-deps --wheel-dir "$OUTDIR" . ./spec ./plugins/gpu
# pure-Python dependencies missing on the device image, for its Python 3.12
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
    -d "$OUTDIR" "stevedore>=5.1"
ls -l "$OUTDIR"
du -sh "$OUTDIR"

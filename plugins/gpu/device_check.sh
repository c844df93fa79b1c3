#!/usr/bin/env bash
# vqnet-gpu's checks on a lent GPU machine (no package index there), in one command:
#
#   here:   tools/gpu_wheelhouse.sh                      # wheels of vqnet, vqnet-spec, vqnet-gpu,
#                                                        # stevedore -> .whl/ (git-ignored)
#   device: run(command="bash plugins/gpu/device_check.sh", carry=[".whl"], timeout_s=600)
#
# Steps (each with its own time limit, all inside DEADLINE seconds, default 560), each writing
# one log under $OUT (or /tmp/vqnet-gpu-check): install.log, info.log (nvidia-smi, vqnet info,
# a few ops on the device, every RawKernel through NVRTC), plugin_tests.log
# (plugins/gpu/tests), spec_array.log (pytest --pyargs vqnet_spec --vqnet-array gpu),
# spec_machine.log (the statevector machine suite with VQNET_BACKEND=gpu), bench.log +
# bench.json (benchmarks/gpu_w2_w3.py), and summary.txt (each step's exit status and seconds):
# 8 files, the most the device tool brings back.
#
#   bash plugins/gpu/device_check.sh [all|tests|bench]   # default: all
#
# Without a GPU every step still runs and the gpu rows skip, saying why (CI, this script's own
# check: OUT=/tmp/x bash plugins/gpu/device_check.sh tests).
set -uo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
MODE=${1:-all}
OUT=${OUT:-/tmp/vqnet-gpu-check}
PY=${PYTHON:-python3}
WHL=${WHL:-$REPO/.whl}
DEADLINE=${DEADLINE:-560}
mkdir -p "$OUT"
: > "$OUT/summary.txt"
export PYTHONUNBUFFERED=1 CUPY_CACHE_DIR=${CUPY_CACHE_DIR:-/tmp/cupy-kernel-cache}
WORK=$(mktemp -d)   # run from outside the clone: the installed wheels are what is tested

note() { echo "$*" | tee -a "$OUT/summary.txt"; }

step() {  # step NAME LIMIT_SECONDS COMMAND...
    local name=$1 limit=$2 left rc t
    shift 2
    left=$(( DEADLINE - SECONDS - 5 ))
    if (( left < 20 )); then note "$name: SKIPPED (no time left in the ${DEADLINE}s deadline)"; return; fi
    (( limit > left )) && limit=$left
    t=$SECONDS
    (cd "$WORK" && timeout "$limit" "$@") > "$OUT/$name.log" 2>&1
    rc=$?
    local what="rc=$rc"
    (( rc == 124 )) && what="TIMED OUT after ${limit}s"
    note "$name: $what ($(( SECONDS - t ))s) $(grep -E '[0-9]+ (passed|failed|skipped|error)' "$OUT/$name.log" | grep -v '^SKIPPED' | tail -1 | cut -c1-200)"
}

# vqnet, vqnet-spec and vqnet-gpu from this very tree (setuptools is on the image), so they
# are never older than the code; the wheels of .whl/ for the rest (stevedore), and for those
# three too if the build from source fails
PIP=("$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade
     --target /tmp/vqnet-site)
THIRD=$(ls "$WHL"/*.whl 2>/dev/null | grep -v -E '/vqnet(_spec|_gpu)?-[0-9]' || true)
if "${PIP[@]}" --no-build-isolation "$REPO" "$REPO/spec" "$REPO/plugins/gpu" $THIRD \
        > "$OUT/install.log" 2>&1; then
    note "installed vqnet, vqnet-spec, vqnet-gpu from $REPO and $(echo $THIRD | xargs -n1 basename 2>/dev/null | tr '\n' ' ')into /tmp/vqnet-site"
elif ls "$WHL"/*.whl > /dev/null 2>&1 && "${PIP[@]}" "$WHL"/*.whl >> "$OUT/install.log" 2>&1; then
    note "the build from source failed (install.log); installed the wheels of $WHL instead"
else
    note "no install (see install.log): using the vqnet / vqnet-gpu already installed for $PY"
fi
[[ -d /tmp/vqnet-site ]] && export PYTHONPATH=/tmp/vqnet-site${PYTHONPATH:+:$PYTHONPATH}

cat > "$WORK/smoke.py" <<'PYEOF'
# the first signal: vqnet info, then a few ops on "gpu" and every RawKernel through NVRTC
import time
import vqnet_core as vq
import vqnet_gpu
from vqnet_core.cli import main
main(["info"])
st = vqnet_gpu.device_status()
print("device:", st)
if st.available:
    B = vq.get_backend("gpu")
    with vq.backend("gpu"):
        print("ones(3) * 2 on gpu:", (vq.ones(3) * 2).tolist())
    from vqnet_gpu._cuda_src import KERNELS
    for real in ("float", "double"):
        t = time.perf_counter()
        for k in KERNELS:
            B.cuda.fn(k, real)
        print(f"NVRTC compiled {len(KERNELS)} kernels ({real}) in {time.perf_counter() - t:.1f} s")
PYEOF
step info 90 bash -c "nvidia-smi || true; $PY smoke.py"
if [[ $MODE == all || $MODE == tests ]]; then
    step plugin_tests 150 "$PY" -m pytest "$REPO/plugins/gpu/tests" -p no:cacheprovider -rs \
        --timeout=120
    step spec_array 200 "$PY" -m pytest --pyargs vqnet_spec --vqnet-array gpu \
        --vqnet-xfails "$REPO/plugins/gpu/xfails.toml" -p no:cacheprovider -rs --timeout=120
    step spec_machine 120 env VQNET_BACKEND=gpu "$PY" -m pytest --pyargs vqnet_spec \
        --vqnet-machine statevector -p no:cacheprovider -rs --timeout=120
fi
if [[ $MODE == all || $MODE == bench ]]; then
    step bench 240 "$PY" "$REPO/benchmarks/gpu_w2_w3.py" --budget 12 --repeats 3 \
        --json "$OUT/bench.json"
fi
note "done in ${SECONDS}s; logs in $OUT"
rm -rf "$WORK"

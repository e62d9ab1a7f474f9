#!/usr/bin/env bash
# The GPU checks in one go, on a machine with a GPU, from the repository's root:
#   bash benchmarks/gpu_check.sh OUTDIR
# after `python benchmarks/gpu_epoch.py --prepare .gpu --vectors GLOVE` here wrote the data into .gpu/ (no spaCy
# or raw data needed there). Writes into OUTDIR: gpu_epoch.txt (where the time goes, each change's speed-up),
# then the default preset trained in full, as is and with --amp, then (last, so that a time limit cuts it first) the
# next candidate towards the 92.5% goal, v2 with two layers, too slow to train on a 2-core CPU: each run's log and
# metrics.json.
set -uo pipefail
out=${1:?usage: bash benchmarks/gpu_check.sh OUTDIR}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
data=(--data .gpu/corpus --vectors .gpu/glove.vocab.txt.xz)
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu_epoch.txt"
(cd benchmarks && python3 gpu_epoch.py --data ../.gpu/corpus --vectors ../.gpu/glove.vocab.txt.xz --profile) \
    2>/dev/null | tee -a "$out/gpu_epoch.txt"
for run in default amp layers2; do
    case $run in default) flags=() ;; amp) flags=(--amp) ;; layers2) flags=(--num-layers 2) ;; esac
    echo "== train.py --preset default ${flags[*]}"
    python3 train.py --preset default "${data[@]}" "${flags[@]}" --out "/tmp/gpu-$run" 2>&1 \
        | tr "\r" "\n" | grep -av "%|\|^\s*$" | tee "$out/$run.log"
    cp "/tmp/gpu-$run/metrics.json" "$out/$run.metrics.json"
done

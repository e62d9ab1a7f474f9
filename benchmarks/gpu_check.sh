#!/usr/bin/env bash
# The GPU checks in one go, on a machine with a GPU, from the repository's root:
#   bash benchmarks/gpu_check.sh OUTDIR [RUN...]
# after `python benchmarks/gpu_epoch.py --prepare .gpu --vectors GLOVE` here wrote the data into .gpu/ (no spaCy
# or raw data needed there). Writes into OUTDIR: gpu_epoch.txt (where the time goes, each change's speed-up), then
# full training runs (RUNs: v1, default, fused, amp; all four by default), each as a log (with its weights' sha256)
# and its metrics.json:
# - v1: the recipe of v1, trained on an H200 with the loop before at 19.3 s an epoch: the epoch time to compare
#   (the code of commit 6e70f43 trained it to other figures than v1's: README, Reproducible);
# - default: the default preset as is; fused: the same with --fuse-directions (both directions of the LSTM as one:
#   half the kernel launches; the same results up to rounding, which this run checks); amp: the default preset
#   with --amp (bfloat16 autocast), last, so that a time limit cuts it first.
set -uo pipefail
out=${1:?usage: bash benchmarks/gpu_check.sh OUTDIR [RUN...]}
shift
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(v1 default fused amp)
mkdir -p "$out"
export PYTHONUNBUFFERED=1
data=(--data .gpu/corpus --vectors .gpu/glove.vocab.txt.xz)
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$out/gpu_epoch.txt"
(cd benchmarks && python3 gpu_epoch.py --data ../.gpu/corpus --vectors ../.gpu/glove.vocab.txt.xz --profile) \
    2>/dev/null | tee -a "$out/gpu_epoch.txt"
for run in "${runs[@]}"; do
    case $run in
        v1) flags=(--num-layers 2 --epochs 5 --at-epsilon 0 --no-normalize-embeddings --valid-split review
                   --keep-best loss) ;;
        default) flags=() ;;
        fused) flags=(--fuse-directions) ;;
        amp) flags=(--amp) ;;
        *) echo "unknown run $run: v1, default, fused or amp"; exit 2 ;;
    esac
    echo "== train.py --preset default ${flags[*]} (at +${SECONDS} s)"
    python3 train.py --preset default "${data[@]}" "${flags[@]}" --out "/tmp/gpu-$run" 2>&1 \
        | tr "\r" "\n" | grep -av "%|\|^\s*$" | tee "$out/$run.log"
    sha256sum "/tmp/gpu-$run/model.safetensors" | tee -a "$out/$run.log"
    cp "/tmp/gpu-$run/metrics.json" "$out/$run.metrics.json"
done
echo "== done at +${SECONDS} s"

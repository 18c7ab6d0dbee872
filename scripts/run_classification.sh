#!/usr/bin/env bash
# Runs the paper's Table 1 experiments (SRU, LSTM and CNN on each dataset, fold 0 of the
# cross-validated ones) one after the other, then prints the comparison table and draws the
# plots into docs/results/classification/.
#
#   scripts/run_classification.sh                 # mr subj cr mpqa trec sst2
#   scripts/run_classification.sh trec cr         # some datasets
#   FOLDS=all scripts/run_classification.sh mr    # all ten folds of MR
#
# Data comes from $SRU_DATA (see `sru data download`); runs go to runs/.
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(mr subj cr mpqa trec sst2)
go build -o bin/sru ./cmd/sru
sets=()
[ "${FOLDS:-}" = all ] && sets=(-set classification.fold=-1)
for ds in "${datasets[@]}"; do
	for model in sru lstm cnn; do
		echo "== $ds $model"
		bin/sru run "experiments/classification/${ds}_${model}.toml" "${sets[@]}"
	done
done
dirs=()
for ds in "${datasets[@]}"; do
	for model in sru lstm cnn; do dirs+=("runs/${ds}_${model}"); done
done
bin/sru compare --markdown "${dirs[@]}"
mkdir -p docs/results/classification
bin/sru report --out docs/results/classification "${dirs[@]}"

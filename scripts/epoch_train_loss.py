#!/usr/bin/env python3
"""Prints, for each run directory, the mean of the training losses its metrics.jsonl logged in
each epoch (every log_every_steps steps) and the validation metric after each epoch:

    python3 scripts/epoch_train_loss.py runs/squad_lstm_cpu/<run-id> runs/squad_sru_deep_drop1_cpu/<run-id>

docs/results/squad.md quotes these per-epoch means (a logged loss is that of one batch, so the
mean over an epoch's ~53 logs is a steadier figure than any one of them).
"""
import argparse
import json
import math
import os
import sys


def epoch_means(path, metric):
    sums, counts, valid = {}, {}, {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"{path}:{n}: {e}")
            if row.get("event") == "train" and "loss" in row:
                e = max(1, math.ceil(row["epoch"]))  # a log at epoch 1.0 closes epoch 1
                sums[e] = sums.get(e, 0.0) + row["loss"]
                counts[e] = counts.get(e, 0) + 1
            elif row.get("event") == "eval" and row.get("split") == "valid":
                valid[row["epoch"]] = row.get("metrics", {}).get(metric)
    return {e: sums[e] / counts[e] for e in sums}, valid


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="run directories (each with a metrics.jsonl)")
    ap.add_argument("--metric", default="f1", help="validation metric to print (default f1)")
    args = ap.parse_args()
    for run in args.runs:
        path = os.path.join(run, "metrics.jsonl")
        if not os.path.isfile(path):
            sys.exit(f"{run}: no metrics.jsonl")
        loss, valid = epoch_means(path, args.metric)
        print(run)
        for e in sorted(loss):
            v = valid.get(e)
            shown = "-" if v is None else f"{v:.2f}"
            print(f"  epoch {e}: mean training loss {loss[e]:.3f}  valid {args.metric} {shown}")


if __name__ == "__main__":
    main()

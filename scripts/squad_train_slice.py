#!/usr/bin/env python3
"""Writes a SQuAD-format slice of the training set (whole articles drawn with a fixed seed), so
that a reader's fit on training questions can be scored like dev:

    python3 scripts/squad_train_slice.py $SRU_DATA/squad/train-v1.1.reconstructed.json.gz slice.json
    sru predict RUN_DIR -set squad.dev_file=$PWD/slice.json -out pred.json
    sru score squad slice.json pred.json

The results in docs/results/squad.md used the defaults: 20 articles, seed 1 (3,728 questions).
"""
import argparse
import gzip
import json
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train", help="SQuAD v1.1 training file (.json or .json.gz)")
    ap.add_argument("out", help="the slice to write")
    ap.add_argument("--articles", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    opener = gzip.open if a.train.endswith(".gz") else open
    with opener(a.train, "rt", encoding="utf-8") as f:
        data = json.load(f)
    random.seed(a.seed)
    chosen = random.sample(data["data"], a.articles)
    n = sum(len(p["qas"]) for art in chosen for p in art["paragraphs"])
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump({"version": data.get("version", "1.1"), "data": chosen}, f)
    print(f"{a.articles} articles, {n} questions -> {a.out}")


if __name__ == "__main__":
    main()

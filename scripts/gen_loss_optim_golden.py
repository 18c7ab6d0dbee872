#!/usr/bin/python3
"""Writes the PyTorch golden files of the nn package's loss and optimizer tests:

    nn/testdata/cross_entropy_golden.json   F.cross_entropy (weights, ignore_index, label
                                            smoothing, mean reduction): loss and d loss/d logits
    nn/testdata/adamax_golden.json          torch.optim.Adamax over a few steps, with and
                                            without weight decay: parameters after each step

Run from the repository root with PyTorch 1.13 (Debian's python3-torch):

    /usr/bin/python3 scripts/gen_loss_optim_golden.py

Everything is float64 and seeded, so the files are reproducible; the Go tests read them and never
need Python.
"""

import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join("nn", "testdata")


def cross_entropy_cases():
    gen = torch.Generator().manual_seed(1)
    cases = []
    specs = [
        # name, rows, cols, weighted, ignore_index, label_smoothing, targets (None: random)
        ("plain", 4, 5, False, -100, 0.0, None),
        ("smoothed", 4, 5, False, -100, 0.1, None),
        ("weighted smoothed", 6, 7, True, -100, 0.2, None),
        ("ignored rows", 5, 4, True, 2, 0.3, [2, 0, 2, 3, 1]),
        ("full smoothing", 3, 6, True, -1, 1.0, [5, -1, 0]),
        ("wide", 8, 33, True, 0, 0.05, None),
    ]
    for name, rows, cols, weighted, ignore, eps, targets in specs:
        logits = (torch.rand(rows, cols, generator=gen, dtype=torch.float64) * 8 - 4).requires_grad_()
        if targets is None:
            targets = torch.randint(0, cols, (rows,), generator=gen).tolist()
        weight = None
        if weighted:
            weight = torch.rand(cols, generator=gen, dtype=torch.float64) * 2 + 0.25
        loss = F.cross_entropy(logits, torch.tensor(targets), weight=weight, ignore_index=ignore,
                               label_smoothing=eps, reduction="mean")
        loss.backward()
        cases.append({
            "name": name, "rows": rows, "cols": cols, "ignore_index": ignore, "label_smoothing": eps,
            "logits": logits.detach().flatten().tolist(), "targets": targets,
            "weights": None if weight is None else weight.tolist(),
            "loss": loss.item(), "dlogits": logits.grad.flatten().tolist(),
        })
    return cases


def adamax_cases():
    gen = torch.Generator().manual_seed(2)
    cases = []
    for name, lr, betas, eps, wd in [("defaults", 2e-3, (0.9, 0.999), 1e-8, 0.0),
                                     ("weight decay", 0.05, (0.8, 0.99), 1e-6, 0.1)]:
        n, steps = 9, 5
        p = torch.randn(n, generator=gen, dtype=torch.float64)
        grads = [torch.randn(n, generator=gen, dtype=torch.float64) for _ in range(steps)]
        grads[2][0] = 0.0  # the infinity norm decays where the gradient vanishes
        param = torch.nn.Parameter(p.clone())
        opt = torch.optim.Adamax([param], lr=lr, betas=betas, eps=eps, weight_decay=wd)
        after = []
        for g in grads:
            param.grad = g.clone()
            opt.step()
            after.append(param.detach().tolist())
        cases.append({
            "name": name, "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd,
            "p0": p.tolist(), "grads": [g.tolist() for g in grads], "params": after,
        })
    return cases


def write(name, data):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"torch": torch.__version__, "cases": data}, f, indent=1)
        f.write("\n")
    print("wrote", path)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("cross_entropy_golden.json", cross_entropy_cases())
    write("adamax_golden.json", adamax_cases())


if __name__ == "__main__":
    main()

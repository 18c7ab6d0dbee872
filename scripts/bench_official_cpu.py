#!/usr/bin/env python3
"""Times the CPU baselines of `sru bench`: the official SRU package, PyTorch's LSTM and a
word-level conv2d, on the CPU with PyTorch (Debian's python3-torch), float32, batch 32, one
layer, at (L, D) = (32, 256) and (128, 512) unless --sizes says otherwise.

    bench_official_cpu.py [--sru-path DIR] [--threads 2] [--reps 20] [--models sru,lstm,conv2d]
                          [--sizes 32x256,128x512] [--json FILE]

What is timed, per size (input [L, B, D], ms per step, median of --reps steps after 3 warm-up
steps; fwd+bwd seeds the output gradient with ones, as sru bench does):

  official SRU fwd      the official package's C++ CPU forward: SRU(D, D, num_layers=1) with its
                        defaults (skip term, identity activation, K = 3), TorchScripted and in
                        eval mode under torch.no_grad(); the package runs its compiled
                        sru_cpu.cpu_forward only in this form
  official SRU fwd+bwd  the same module not scripted, in training mode (no dropout): the
                        package's CPU training path, its Python elementwise recurrence under
                        autograd (it has no C++ backward on the CPU)
  LSTM fwd, fwd+bwd     torch.nn.LSTM(D, D), one layer
  conv2d fwd, fwd+bwd   the official benchmark's word-level CNN layer: Conv2d(1, D, (3, D),
                        padding (1, 0)) over [B, 1, L, D]

The official package (asappresearch/sru, 2.6) is imported from --sru-path (a directory holding
its `sru` package folder, e.g. a checkout of github.com/asappresearch/sru) or from the Python
path; its C++ forward is compiled on import by torch.utils.cpp_extension (needs a C++ compiler
and ninja). Without the package the SRU rows are skipped and the script says so.
"""

import argparse
import json
import statistics
import sys
import time

SIZES = [(32, 32, 256), (128, 32, 512)]  # (L, B, D)


def timed(step, reps, warmup=3):
    for _ in range(warmup):
        step()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sru-path", help="directory that holds the official `sru` package folder")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--reps", type=int, default=20, help="timed steps per measurement")
    ap.add_argument("--sizes", default="32x256,128x512", help="comma-separated LxD, batch 32")
    ap.add_argument("--models", default="sru,lstm,conv2d", help="comma-separated: sru, lstm, conv2d")
    ap.add_argument("--json", help="also write one JSON object per size to this file")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.sru_path:
        sys.path.insert(0, args.sru_path)
    try:
        import sru  # noqa: F401  (compiles the C++ CPU forward)
        from sru import SRU
        sru_from = "official sru %s from %s" % (getattr(sys.modules["sru.version"], "__version__", "?"),
                                                 sru.__file__)
    except Exception as e:  # the package is optional: say so and time the rest
        SRU, sru_from = None, "official sru NOT available (%s: %s): SRU rows skipped" % (type(e).__name__, e)

    print("torch %s, %d threads, float32, CPU; %s" % (torch.__version__, torch.get_num_threads(), sru_from))
    print("ms per step, median of %d steps after 3 warm-up steps; batch 32, one layer" % args.reps)
    sizes = []
    for s in args.sizes.split(","):
        L, D = (int(v) for v in s.split("x"))
        sizes.append((L, 32, D))

    models = set(args.models.split(","))
    rows = []
    for L, B, D in sizes:
        x = torch.randn(L, B, D)
        row = {"L": L, "B": B, "D": D, "threads": torch.get_num_threads(), "torch": torch.__version__}

        def record(key, ms):
            row[key] = ms
            print("  (%d, %d) %-18s %9.2f ms" % (L, D, key[:-3], ms), flush=True)

        if SRU is not None and "sru" in models:
            m = SRU(D, D, num_layers=1)
            scripted = torch.jit.script(m.eval())
            with torch.no_grad():
                record("sru_fwd_ms", timed(lambda: scripted(x), args.reps))
            m.train()
            record("sru_fwd_bwd_ms", timed(lambda: backward(m, x, lambda o: o[0]), args.reps))
        if "lstm" in models:
            lstm = torch.nn.LSTM(D, D, num_layers=1)
            with torch.no_grad():
                record("lstm_fwd_ms", timed(lambda: lstm(x), args.reps))
            record("lstm_fwd_bwd_ms", timed(lambda: backward(lstm, x, lambda o: o[0]), args.reps))
        if "conv2d" in models:
            conv = torch.nn.Conv2d(1, D, (3, D), padding=(1, 0))
            xc = x.permute(1, 0, 2).contiguous().unsqueeze(1)  # [B, 1, L, D]
            with torch.no_grad():
                record("conv2d_fwd_ms", timed(lambda: conv(xc), args.reps))
            record("conv2d_fwd_bwd_ms", timed(lambda: backward(conv, xc, lambda o: o), args.reps))
        rows.append(row)

    cols = [("sru_fwd_ms", "official SRU fwd (C++)"), ("sru_fwd_bwd_ms", "official SRU fwd+bwd"),
            ("lstm_fwd_ms", "LSTM fwd"), ("lstm_fwd_bwd_ms", "LSTM fwd+bwd"),
            ("conv2d_fwd_ms", "conv2d fwd"), ("conv2d_fwd_bwd_ms", "conv2d fwd+bwd")]
    print("%-12s" % "(L, D)" + "".join("%24s" % c[1] for c in cols))
    for r in rows:
        cells = ["%24s" % ("%.2f" % r[k] if k in r else "-") for k, _ in cols]
        print("%-12s" % ("(%d, %d)" % (r["L"], r["D"])) + "".join(cells))
    if args.json:
        with open(args.json, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")


def backward(model, inp, out_of):
    """One training step without loss or optimizer: forward with a gradient on the input,
    backward seeded with ones."""
    model.zero_grad(set_to_none=True)
    xi = inp.detach().requires_grad_(True)
    out = out_of(model(xi))
    out.backward(out.new_ones(out.shape))


if __name__ == "__main__":
    main()

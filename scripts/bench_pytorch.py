#!/usr/bin/env python3
"""Times PyTorch's cuDNN LSTM and a word-level conv2d at the sizes of `sru bench --sizes all`,
and prints the comparison table of scripts/gpu_check.sh.

    bench_pytorch.py run --json FILE        time the baselines (needs a GPU and PyTorch)
    bench_pytorch.py summary --bench FILE --torch FILE
                                            our SRU and LSTM (sru bench --json) beside them

Strict FP32 (no TF32 anywhere), batch as in the size, input [L, B, D] with a gradient, backward
seeded with ones (as sru bench does), timed with CUDA events around each step after warm-up,
median of --reps steps. The conv2d is the official SRU benchmark's word-level CNN: per layer
Conv2d(1, D, (3, D), padding (1, 0)) over [B, 1, L, D]; like sru bench, it is not timed at the
bidirectional size.
"""

import argparse
import json
import statistics
import sys
import time

# bench.AllSizes(): L, B, D, layers, bidirectional.
SIZES = [
    (32, 32, 256, 1, False),
    (128, 32, 512, 1, False),
    (128, 32, 512, 4, False),
    (128, 32, 512, 2, True),
    (256, 64, 1024, 2, False),
]

# Fwd+bwd ms measured with the official PyTorch SRU (and cuDNN LSTM) in strict FP32, from the
# project's GPU notes; the official package is not installed on the GPU machines.
ANCHORS = {
    "H200": {
        (32, 32, 256, 1, False): (1.23, 2.71),
        (128, 32, 512, 1, False): (1.28, 7.03),
        (128, 32, 512, 4, False): (3.62, 27.7),
        (128, 32, 512, 2, True): (2.03, 24.7),
        (256, 64, 1024, 2, False): (14.2, 58.5),
    },
    "H100": {
        (32, 32, 256, 1, False): (1.01, 2.59),
        (128, 32, 512, 1, False): (1.19, 7.37),
        (128, 32, 512, 4, False): (3.39, 28.3),
        (128, 32, 512, 2, True): (2.00, 23.5),
        (256, 64, 1024, 2, False): (14.2, 57.6),
    },
}


def time_steps(torch, step, reps, warmup, cuda=True):
    """Median and quartiles of step() in ms by CUDA events, after warm-up (wall clock on the CPU,
    which only tests this script)."""
    for _ in range(warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
    ms = []
    if cuda:
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(reps):
        if cuda:
            start.record()
            step()
            end.record()
            end.synchronize()
            ms.append(start.elapsed_time(end))
        else:
            t0 = time.perf_counter()
            step()
            ms.append((time.perf_counter() - t0) * 1e3)
    q = statistics.quantiles(ms, n=4)
    return {"median": statistics.median(ms), "p25": q[0], "p75": q[2], "min": min(ms), "n": len(ms)}


def run(args):
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True  # the convolution gets cuDNN's fastest algorithm
    torch.manual_seed(1)
    cuda = args.device == "cuda"
    dev = torch.device(args.device)
    rows = []
    sizes = SIZES if cuda else [(5, 2, 8, 2, False), (5, 2, 8, 2, True)]  # CPU: a smoke test
    tm = lambda f: time_steps(torch, f, args.reps, args.warmup, cuda)
    for L, B, D, layers, bi in sizes:
        H = D // 2 if bi else D
        size = {"L": L, "B": B, "D": D, "layers": layers, "bidirectional": bi}

        lstm = torch.nn.LSTM(D, H, num_layers=layers, bidirectional=bi).to(dev)
        x = torch.randn(L, B, D, device=dev, requires_grad=True)

        def lstm_fwd():
            with torch.no_grad():
                lstm(x)

        def lstm_step():
            for p in lstm.parameters():
                p.grad = None
            x.grad = None
            y, _ = lstm(x)
            y.backward(torch.ones_like(y))

        rows.append(dict(size, model="cudnn_lstm", fwd=tm(lstm_fwd), fwd_bwd=tm(lstm_step)))
        del lstm, x

        if not bi:
            convs = torch.nn.ModuleList(
                [torch.nn.Conv2d(1, D, (3, D), padding=(1, 0)) for _ in range(layers)]).to(dev)
            xc = torch.randn(B, 1, L, D, device=dev, requires_grad=True)

            def conv_forward():
                h = xc
                for c in convs:
                    h = c(h).permute(0, 3, 2, 1)  # [B, D, L, 1] -> [B, 1, L, D]
                return h

            def conv_fwd():
                with torch.no_grad():
                    conv_forward()

            def conv_step():
                for p in convs.parameters():
                    p.grad = None
                xc.grad = None
                h = conv_forward()
                h.backward(torch.ones_like(h))

            rows.append(dict(size, model="conv2d", fwd=tm(conv_fwd), fwd_bwd=tm(conv_step)))
            del convs, xc
        if cuda:
            torch.cuda.empty_cache()
        print(f"  L={L} B={B} D={D} layers={layers} bi={bi}: done", file=sys.stderr, flush=True)

    meta = {"device": torch.cuda.get_device_name() if cuda else "cpu", "torch": torch.__version__,
            "cudnn": torch.backends.cudnn.version(), "cuda": torch.version.cuda,
            "tf32": False, "cudnn_benchmark": True, "reps": args.reps, "warmup": args.warmup}
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    for r in rows:
        print(f"{r['model']:10s} L={r['L']:3d} B={r['B']:2d} D={r['D']:4d} layers={r['layers']} "
              f"bi={str(r['bidirectional']):5s} fwd {r['fwd']['median']:8.3f} ms  "
              f"fwd+bwd {r['fwd_bwd']['median']:8.3f} ms")
    print(f"device: {meta['device']}; torch {meta['torch']}, cuDNN {meta['cudnn']}, CUDA {meta['cuda']}")


def key(r):
    return (r["L"], r["B"], r["D"], r["layers"], bool(r["bidirectional"]))


def summary(args):
    ours = {}
    try:
        with open(args.bench) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    ours[(r["model"],) + key(r)] = r
    except OSError as e:
        print(f"no sru bench results: {e}")
    theirs, meta = {}, {}
    try:
        with open(args.torch) as f:
            t = json.load(f)
        meta = t["meta"]
        for r in t["rows"]:
            theirs[(r["model"],) + key(r)] = r
    except OSError as e:
        print(f"no PyTorch results: {e}")
    dev = meta.get("device") or next((r.get("device", "") for r in ours.values()), "")
    card = "H200" if "H200" in dev else "H100" if "H100" in dev else None
    anchors = ANCHORS.get(card, {})

    def ms(d, k, field="fwd_bwd_ms"):
        r = d.get(k)
        if r is None:
            return None
        return r[field] if field in r else r["fwd_bwd"]["median"]

    def fmt(v, w=8, p=2):
        return f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}}"

    print(f"fwd+bwd ms, median (GPU: {dev or 'unknown'}; anchors: {card or 'none for this card'})")
    print(f"{'size (L,B,D,layers,dir)':26s} {'SRU':>8s} {'LSTM':>8s} {'cuDNN':>8s} {'conv2d':>8s} "
          f"{'offSRU*':>8s} {'SRU/off':>8s} {'cuDNN/SRU':>9s} {'SRU/conv':>8s} {'cuDNN/a*':>8s}")
    for s in SIZES:
        L, B, D, layers, bi = s
        sru, lstm = ms(ours, ("sru",) + s), ms(ours, ("lstm",) + s)
        cudnn, conv = ms(theirs, ("cudnn_lstm",) + s), ms(theirs, ("conv2d",) + s)
        off, off_lstm = anchors.get(s, (None, None))
        ratio = lambda a, b: a / b if a is not None and b else None
        name = f"{L},{B},{D},{layers},{'bi' if bi else 'uni'}"
        print(f"{name:26s} {fmt(sru)} {fmt(lstm)} {fmt(cudnn)} {fmt(conv)} {fmt(off)} "
              f"{fmt(ratio(sru, off), 8)} {fmt(ratio(cudnn, sru), 9)} {fmt(ratio(sru, conv), 8)} "
              f"{fmt(ratio(cudnn, off_lstm), 8)}")
    print("SRU, LSTM: ours (sru bench --device cuda); cuDNN: torch.nn.LSTM; conv2d: word-level CNN, k=3;")
    print("offSRU*: the official PyTorch SRU measured earlier on this kind of card (GPU.md), not in this run;")
    print("SRU/off < 1 means ours is faster; cuDNN/a*: this run's cuDNN LSTM over GPU.md's (near 1 = same conditions).")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--json", required=True)
    r.add_argument("--reps", type=int, default=50)
    r.add_argument("--warmup", type=int, default=5)
    r.add_argument("--device", default="cuda", help="cuda; cpu only smoke-tests this script")
    s = sub.add_parser("summary")
    s.add_argument("--bench", required=True)
    s.add_argument("--torch", required=True)
    args = p.parse_args()
    run(args) if args.cmd == "run" else summary(args)


if __name__ == "__main__":
    main()

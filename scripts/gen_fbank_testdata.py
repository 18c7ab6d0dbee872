#!/usr/bin/python3
"""Writes tasks/speech/testdata/fbank/*.json: reference Kaldi filterbank features from
torchaudio.compliance.kaldi.fbank in float64, for options the shared golden set does not cover
(blackman window, VTLN warping, frame shift longer than the window, odd window lengths, unusual
frequency ranges, energy floors, silence). Same format as the shared golden fbank files.

    /usr/bin/python3 scripts/gen_fbank_testdata.py     (needs Debian's python3-torchaudio)

With --random DIR it instead writes --count cases of random options and signals to DIR (not
committed), a wider cross-check for the golden test:

    /usr/bin/python3 scripts/gen_fbank_testdata.py --random /tmp/fbank_random --count 300
    SRU_GOLDEN_FBANK_DIR=/tmp/fbank_random go test ./tasks/speech -run TestGoldenFbank

The waveform is the raw int16 values as float64 (Kaldi's convention) and the default dtype is
float64, so that torchaudio's mel banks are float64 too.
"""

import argparse
import json
import os
import random
import struct
import sys

import numpy as np
import torch
import torchaudio
import torchaudio.compliance.kaldi as kaldi

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tasks", "speech", "testdata", "fbank")


def read_wav(name):
    """The int16 samples of a mono 16-bit testdata recording (canonical 44-byte header)."""
    with open(os.path.join(ROOT, "tasks", "speech", "testdata", name), "rb") as f:
        data = f.read()
    n = struct.unpack("<I", data[40:44])[0]
    return list(struct.unpack("<%dh" % (n // 2), data[44 : 44 + n]))


def noise(seed, n, scale):
    rng = np.random.RandomState(seed)
    return [int(v) for v in np.clip(np.round(rng.normal(0, scale, n)), -32768, 32767)]


def tone(n, sr, freq, amp, seed):
    t = np.arange(n) / sr
    rng = np.random.RandomState(seed)
    x = amp * np.sin(2 * np.pi * freq * t) + rng.normal(0, 50, n)
    return [int(v) for v in np.clip(np.round(x), -32768, 32767)]


def case(name, note, sr, samples, **options):
    options.setdefault("dither", 0.0)
    options.setdefault("energy_floor", 0.0)
    wav = torch.tensor(samples, dtype=torch.float64).unsqueeze(0)
    feats = kaldi.fbank(wav, sample_frequency=float(sr), **options)
    rows = feats.tolist()
    return {
        "kind": "fbank",
        "name": name,
        "note": note,
        "generator": "torchaudio %s torchaudio.compliance.kaldi.fbank, torch %s, float64"
        % (torchaudio.__version__, torch.__version__),
        "sample_rate": sr,
        "num_samples": len(samples),
        "samples": samples,
        "options": options,
        "num_frames": len(rows),
        "num_bins": feats.shape[1] if len(rows) else 0,
        "features": rows,
    }


def random_cases(out, count, seed):
    """Random option sets (those torchaudio rejects are skipped) over random signals."""
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    made = 0
    for i in range(count):
        sr = rng.choice([8000, 11025, 16000, 22050, 44100])
        o = {
            "num_mel_bins": rng.choice([4, 5, 10, 23, 40, 64, 80]),
            "frame_length": rng.choice([10.0, 12.5, 20.0, 25.0, 32.0, 50.0]),
            "frame_shift": rng.choice([1.0, 5.0, 8.0, 10.0, 12.5, 30.0]),
            "preemphasis_coefficient": rng.choice([0.0, 0.5, 0.97, 1.0]),
            "remove_dc_offset": rng.random() < 0.7,
            "window_type": rng.choice(["povey", "hamming", "hanning", "rectangular", "blackman"]),
            "round_to_power_of_two": rng.random() < 0.7,
            "low_freq": rng.choice([0.0, 20.0, 64.0, 300.0]),
            "high_freq": rng.choice([0.0, -400.0, -1000.0, 3500.0]),
            "use_energy": rng.random() < 0.4,
            "use_log_fbank": rng.random() < 0.8,
            "use_power": rng.random() < 0.8,
            "snip_edges": rng.random() < 0.5,
            "energy_floor": rng.choice([0.0, 1.0, float(np.exp(12.0))]),
            "raw_energy": rng.random() < 0.6,
            "htk_compat": rng.random() < 0.3,
            "subtract_mean": rng.random() < 0.2,
        }
        if o["window_type"] == "blackman" and rng.random() < 0.5:
            o["blackman_coeff"] = rng.choice([0.3, 0.42, 0.5])
        if rng.random() < 0.2:
            o["vtln_warp"] = rng.choice([0.85, 0.9, 1.1, 1.15])
            o["vtln_low"] = rng.choice([100.0, 400.0])
            o["vtln_high"] = rng.choice([-500.0, -1000.0, 3000.0])
        n = rng.choice([400, 1000, 1500, 2000, 4000, 8000])
        scale = rng.choice([3, 2000, 12000])
        samples = noise(seed * 100000 + i, n, scale)
        if rng.random() < 0.5:
            samples = [max(-32768, min(32767, s + t)) for s, t in zip(samples, tone(n, sr, rng.uniform(50, sr / 2 - 50), 5000, i))]
        try:
            c = case("random_%04d" % i, "random options", sr, samples, **o)
        except (AssertionError, RuntimeError, ValueError):
            continue
        with open(os.path.join(out, "random_%04d.json" % i), "w") as f:
            json.dump(c, f, separators=(",", ":"))
        made += 1
    print("%s: %d cases" % (out, made), file=sys.stderr)


def main():
    torch.set_default_dtype(torch.float64)
    ap = argparse.ArgumentParser()
    ap.add_argument("--random", metavar="DIR", help="write random cases to DIR instead")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.random:
        random_cases(args.random, args.count, args.seed)
        return
    digit = read_wav("6_yweweler_3.wav")  # 1,148 samples at 8 kHz
    digit2 = read_wav("2_theo_34.wav")
    cases = [
        case("blackman", "blackman window, default coefficient 0.42", 8000, digit, window_type="blackman"),
        case("blackman_coeff", "blackman window with coefficient 0.5, 40 bins", 8000, digit2,
             window_type="blackman", blackman_coeff=0.5, num_mel_bins=40),
        case("vtln_0.9", "VTLN warp 0.9 (default cutoffs 100 and Nyquist-500)", 16000, noise(11, 2400, 3000),
             num_mel_bins=40, vtln_warp=0.9),
        case("vtln_1.1", "VTLN warp 1.1, vtln-low 300, vtln-high 7000 (positive), low-freq 64", 16000,
             tone(2400, 16000, 700.0, 5000, 12), num_mel_bins=30, low_freq=64.0, vtln_warp=1.1,
             vtln_low=300.0, vtln_high=7000.0),
        case("nosnip_energy_windowed", "snip_edges false, energy after the window, hamming", 8000, digit,
             snip_edges=False, use_energy=True, raw_energy=False, window_type="hamming"),
        case("nosnip_shift_longer_than_window", "frame shift 30 ms > frame length 25 ms with snip_edges false",
             16000, noise(13, 3100, 1000), snip_edges=False, frame_shift=30.0),
        case("odd_window_22050", "22.05 kHz: 551-sample window, 220-sample shift, 1024-point FFT, snip_edges false",
             22050, tone(3000, 22050, 1234.5, 8000, 14), snip_edges=False, num_mel_bins=26),
        case("no_pow2_magnitude_log", "200-point FFT, hanning, magnitude spectrum, log", 8000, digit2,
             round_to_power_of_two=False, window_type="hanning", use_power=False),
        case("band_0_3000", "low 0, high 3000 Hz, 15 bins, preemphasis 0.5, no DC removal", 8000, digit,
             low_freq=0.0, high_freq=3000.0, num_mel_bins=15, preemphasis_coefficient=0.5,
             remove_dc_offset=False),
        case("energy_floor_mean", "energy floor e^14 clamps quiet frames; subtract_mean, snip_edges false",
             8000, digit2, use_energy=True, energy_floor=float(np.exp(14.0)), subtract_mean=True,
             snip_edges=False),
        case("shift_8.3ms", "20 ms / 8.3 ms at 8 kHz: 160-sample window, 66-sample shift", 8000, digit,
             frame_length=20.0, frame_shift=8.3),
        case("linear_energy_htk", "linear mel energies with energy last (htk_compat)", 16000,
             tone(1600, 16000, 300.0, 2000, 15), use_log_fbank=False, use_energy=True, htk_compat=True),
        case("four_bins", "4 mel bins (torchaudio's minimum), rectangular window", 8000, digit,
             num_mel_bins=4, window_type="rectangular"),
        case("silence", "all zeros: every log is floored at log(2^-23)", 8000, [0] * 900, use_energy=True),
        case("constant_no_dc_removal", "a constant signal without DC removal or preemphasis", 8000, [1000] * 700,
             remove_dc_offset=False, preemphasis_coefficient=0.0, use_energy=True),
    ]
    os.makedirs(OUT, exist_ok=True)
    for c in cases:
        path = os.path.join(OUT, c["name"] + ".json")
        with open(path, "w") as f:
            json.dump(c, f, separators=(",", ":"))
            f.write("\n")
        print("%s: %d x %d" % (path, c["num_frames"], c["num_bins"]), file=sys.stderr)


if __name__ == "__main__":
    main()

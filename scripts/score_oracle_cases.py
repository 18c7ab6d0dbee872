#!/usr/bin/env python3
"""Writes score/testdata/oracle: random, adversarial cases for package score, computed by the
reference programs themselves. The committed files let `go test ./score` check, without
Python, text the golden folders do not cover (Python's str.lower/split/rstrip, the 13a
tokenizer, the SQuAD normalisation) on mixes of ASCII symbols, digits, entities, Unicode
whitespace and separators, Greek sigma, U+0130, combining marks and numbers.

    score_oracle_cases.py --sacrebleu SRC --squad-eval FILE [--out DIR] [--seed N]

SRC is a source tree of sacreBLEU v2.6.0 (`git archive v2.6.0` of mjpost/sacrebleu) with
sacrebleu/version.py written (`__version__ = "2.6.0"`); the modules it imports only for its
command line (portalocker, tabulate, colorama, lxml) are replaced by empty stand-ins when
missing. FILE is the official SQuAD evaluate-v1.1.py (sha256 f5a673db...bd09). Both are run
unmodified; this script only draws inputs and records their outputs.
"""

import argparse
import contextlib
import importlib.util
import io
import json
import os
import random
import sys
import tempfile

PIECES = list("abcdefgABCDEFG0123456789.,-'\"&;<>/()[]{}|~^_`!?#$%*+:=@\\ \t\n\r") + [
    "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\u200b", "\u2009",
    "&quot;", "&amp;", "&lt;", "&gt;", "&apos;", "&#39;", "&amp;quot;", "<skipped>", "-\n",
    "İ", "Σ", "ΟΔΟΣ", "σ", "ß", "É", "é", "e\u0301", "\u0307", "ǅ", "Ⅻ", "²", "½", "٣",
    "“", "”", "„", "«", "–", "—", "…", "¿", "😀", "ﬁ", "Ω",
    "the", "The", "THE", " a ", " an ", "An", "1,000", "3.5", "1990-2000", "Haus", "word",
    "\u00b7", "\u2019", "_", "İstanbul", "ΣΑΣ", "Σ.", ".Σ", "AΣ\u0301", "Σ\u00ad",
]


def stub_cli_modules():
    stubs = tempfile.mkdtemp()
    bodies = {
        "portalocker": "",
        "tabulate": "def tabulate(*args, **kwargs):\n    return ''\n",
        "colorama": "class Fore: pass\nclass Back: pass\nclass Style: pass\ndef init(*a, **k): pass\n",
        "lxml": "",
    }
    for name, body in bodies.items():
        try:
            __import__(name)
        except ImportError:
            os.makedirs(os.path.join(stubs, name))
            with open(os.path.join(stubs, name, "__init__.py"), "w") as f:
                f.write(body)
            if name == "lxml":
                open(os.path.join(stubs, name, "etree.py"), "w").close()
    sys.path.append(stubs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sacrebleu", required=True)
    ap.add_argument("--squad-eval", required=True)
    ap.add_argument("--out", default="score/testdata/oracle")
    ap.add_argument("--seed", type=int, default=2017)
    args = ap.parse_args()

    sys.path.insert(0, args.sacrebleu)
    stub_cli_modules()
    import sacrebleu
    from sacrebleu.metrics import BLEU
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
    assert sacrebleu.__version__ == "2.6.0", sacrebleu.__version__
    spec = importlib.util.spec_from_file_location("squad_eval", args.squad_eval)
    squad = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(squad)

    rng = random.Random(args.seed)

    def text(n):
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, n)))

    def perturb(s):
        out = []
        for w in s.split(" "):
            r = rng.random()
            if r < 0.1:
                continue
            out.append(text(3) if r < 0.2 else w.upper() if r < 0.25 else w)
        return " ".join(out)

    os.makedirs(os.path.join(args.out, "bleu"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "squad"), exist_ok=True)

    tok = Tokenizer13a()
    strings = []
    for _ in range(800):
        s = text(14)
        strings.append({"in": s, "tok13a": tok(s), "lower": s.lower(), "rstrip": s.rstrip(),
                        "split": s.split(), "squad_normalized": squad.normalize_answer(s)})
    with open(os.path.join(args.out, "strings.json"), "w") as f:
        json.dump(strings, f, ensure_ascii=False, indent=0)

    for case in range(16):
        nseg, nrefs = rng.randint(1, 12), rng.randint(1, 3)
        base = [text(18) for _ in range(nseg)]
        refs = [[perturb(b) if k or rng.random() < 0.3 else b for b in base] for k in range(nrefs)]
        hyps = [perturb(b) for b in base]
        tokenize, lowercase = rng.choice(["13a", "none"]), rng.random() < 0.4
        sentence = case % 4 == 3
        if sentence:
            hyps, refs = hyps[:1], [r[:1] for r in refs]
            score = sacrebleu.sentence_bleu(hyps[0], [r[0] for r in refs], lowercase=lowercase, tokenize=tokenize)
        else:
            score = sacrebleu.corpus_bleu(hyps, refs, lowercase=lowercase, tokenize=tokenize)
        metric = BLEU(lowercase=lowercase, tokenize=tokenize, effective_order=sentence)
        metric.corpus_score(hyps, refs)
        d = dict(kind="sentence_bleu" if sentence else "bleu", tokenize=tokenize, lowercase=lowercase,
                 smooth_method="exp", use_effective_order=sentence, hypotheses=hyps, references=refs,
                 score=score.score, counts=score.counts, totals=score.totals, precisions=score.precisions,
                 bp=score.bp, sys_len=score.sys_len, ref_len=score.ref_len,
                 signature=str(metric.get_signature()), formatted=str(score),
                 generator="scripts/score_oracle_cases.py: sacrebleu " + sacrebleu.__version__)
        with open(os.path.join(args.out, "bleu", f"random_{case:02d}.json"), "w") as f:
            json.dump(d, f, ensure_ascii=False)

    for case in range(8):
        qas, predictions, per_question = [], {}, {}
        for q in range(rng.randint(1, 25)):
            golds = [text(8) for _ in range(rng.randint(1, 3))]
            qid = f"r{case}q{q}"
            qas.append({"id": qid, "question": "?", "answers": [{"text": g, "answer_start": 0} for g in golds]})
            if rng.random() < 0.15:
                per_question[qid] = {"exact_match": 0.0, "f1": 0.0, "missing": True}
                continue
            pred = perturb(rng.choice(golds)) if rng.random() < 0.7 else text(8)
            predictions[qid] = pred
            per_question[qid] = {
                "exact_match": float(squad.metric_max_over_ground_truths(squad.exact_match_score, pred, golds)),
                "f1": float(squad.metric_max_over_ground_truths(squad.f1_score, pred, golds)),
            }
        dataset = {"version": "1.1", "data": [{"title": f"Random {case}", "paragraphs": [{"context": "", "qas": qas}]}]}
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            result = squad.evaluate(dataset["data"], predictions)
        d = dict(kind="squad_eval", dataset=dataset, predictions=predictions,
                 exact_match=result["exact_match"], f1=result["f1"], official_stdout=json.dumps(result),
                 official_stderr=stderr.getvalue().splitlines(), num_questions=len(qas),
                 num_missing=sum(1 for q in qas if q["id"] not in predictions), per_question=per_question,
                 generator="scripts/score_oracle_cases.py: the official evaluate-v1.1.py")
        with open(os.path.join(args.out, "squad", f"random_{case:02d}.json"), "w") as f:
            json.dump(d, f, ensure_ascii=False)


if __name__ == "__main__":
    main()

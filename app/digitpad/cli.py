"""``digitpad``: the GUI with no subcommand; ``train``, ``evaluate``, ``predict`` otherwise.

Heavy modules (TensorFlow, Qt) are imported inside the command that needs them, so
``digitpad --help`` and the GUI's first paint stay fast. Every user-facing failure is one
line on stderr naming the file and the problem, with a non-zero exit.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import signal
import sys
from pathlib import Path
from typing import Iterator

from . import __version__
from .core.errors import DigitPadError

EXIT_ERROR = 1
EXIT_USAGE = 2
TRUST_HELP = ("also open a TensorFlow SavedModel folder: it runs the program stored in it, which can read and write "
              "your files")
Y_UP_HELP = "the inks' y axis points up (UNIPEN files, some tablets): mirror them to DigitPad's y down"


def _err(message: str) -> None:
    print(f"digitpad: error: {message}", file=sys.stderr)


def _default_model() -> Path:
    from .core.model_files import shipped_model

    return shipped_model()


def _existing_store(path: str | None) -> str | None:
    """A ``--store`` to read: a name that is not there is a typo, not a new, empty store."""
    if path and not Path(path).exists():
        raise DigitPadError("no such sample store (only 'samples import' and the app make one)", path)
    return path


def _check_outputs(*paths: str | None) -> None:
    """Outputs that could not be written are refused before minutes of work, not after."""
    from .core.atomic_file import check_writable

    for path in filter(None, paths):
        if path != JSON_TO_STDOUT:
            check_writable(path)


#: ``--json -``: the JSON report alone on standard output; what is printed for people goes to
#: standard error for that run, so a pipe (``| jq``) gets nothing that is not JSON.
JSON_TO_STDOUT = "-"


def _save_json(args, report: dict) -> None:
    text = json.dumps(report) + "\n"
    if args.json == JSON_TO_STDOUT:
        stream = getattr(args, "json_stream", sys.stdout)  # main() set it aside before redirecting
        stream.write(text)
        stream.flush()
    else:
        from .core.atomic_file import write_text

        write_text(args.json, text)


# ------------------------------------------------------------------------------------- train
def cmd_train(args) -> int:
    store = _existing_store(args.store)  # refused before TensorFlow is loaded, which takes seconds
    _check_outputs(args.output)
    from .ml.training import TrainConfig, train

    cfg = TrainConfig(architecture=args.architecture, output=Path(args.output), epochs=args.epochs, lr=args.lr,
                      init_from=Path(args.init_from) if args.init_from else None,
                      store=Path(store) if store else None,
                      batch_size=args.batch_size, seed=args.seed, mnist=args.mnist, extra=args.extra or [],
                      extra_share=args.extra_share, variants=args.variants, habits=args.habits,
                      non_digits=args.non_digits or [], calibration=args.calibrate or [],
                      non_digit_share=args.non_digit_share, rehearsal=args.rehearsal,
                      augment=None if args.augment is None else args.augment == "on",
                      stroke_mix=args.stroke_mix, limit=args.limit,
                      log_dir=None if args.no_tensorboard else Path(args.logdir or f"runs/{Path(args.output).stem}"))
    rec = train(cfg, log=lambda m: print(m, flush=True))
    print(json.dumps(rec.info.metrics))
    return 0


# ---------------------------------------------------------------------------------- evaluate
#: Disagreements ``evaluate --compare`` prints; its ``--json`` file holds every one.
DISAGREEMENTS_SHOWN = 50


def cmd_evaluate(args) -> int:
    from .core.labelled_sets import load_labelled, mnist_test
    from .core.metrics import format_scores
    from .ml.evaluation import evaluate_set
    from .ml.numpy_recognizer import load_recognizer

    trust = getattr(args, "trust_model", False)
    model = Path(args.model) if args.model else _default_model()
    rec = load_recognizer(model, trust=trust)
    other = None
    if getattr(args, "compare", None):  # both models load before the data: a bad file fails at once
        other = Path(args.compare), load_recognizer(Path(args.compare), trust=trust)
    data = load_labelled(args.data) if args.data else mnist_test(args.mnist)
    if len(data.labels) == 0:
        raise DigitPadError("no labelled digits to evaluate on", args.data)
    if other is not None:
        return _evaluate_compare(args, (model, rec), other, data)
    scores = evaluate_set(rec, data)
    print(format_scores(scores, f"{rec.name} on {data.source}"))
    if args.plot:
        from .core.confusion_plot import save_confusion_png

        save_confusion_png(scores, args.plot, f"{rec.name} on {_data_name(data)}")
        print(f"confusion matrix plot: {args.plot}")
    if args.json:
        _save_json(args, {"model": str(model), "data": data.source, **scores.to_dict()})
    return 0


def _data_name(data) -> str:
    return Path(data.source.split(" (")[0]).name


def _model_names(paths: tuple[Path, Path], recs) -> tuple[str, str]:
    """What the report calls the two models: their names, or their files when the names are the same."""
    for a, b in ((recs[0].name, recs[1].name), (paths[0].name, paths[1].name), (str(paths[0]), str(paths[1]))):
        if a != b:
            return a, b
    return "A", "B"


def _reading(digit: int) -> str:
    return "blank" if digit < 0 else str(digit)


def _evaluate_compare(args, first, second, data) -> int:
    """``evaluate A --compare B``: both models' scores on the same digits, the digits they read
    differently, and McNemar's test of whether the difference in accuracy is more than chance."""
    from .core.comparison import Comparison
    from .core.metrics import format_scores
    from .ml.evaluation import predict_set

    (path_a, rec_a), (path_b, rec_b) = first, second
    name_a, name_b = _model_names((path_a, path_b), (rec_a, rec_b))
    c = Comparison(data.labels, predict_set(rec_a, data), predict_set(rec_b, data), (name_a, name_b))
    sa, sb = c.scores
    test = c.test()
    print(format_scores(sa, f"A: {name_a} on {data.source}") + "\n")
    print(format_scores(sb, f"B: {name_b} on {data.source}") + "\n")
    width = max(len(name_a), len(name_b))
    print(f"A against B on {data.source}, {sa.count} digits:")
    for tag, name, s, read in (("A", name_a, sa, c.a), ("B", name_b, sb, c.b)):
        print(f"  {tag} {name:<{width}}  accuracy {s.accuracy * 100:.2f}% ({int((read != c.labels).sum())} wrong)")
    print(f"  B - A: {(sb.accuracy - sa.accuracy) * 100:+.2f} percentage points")
    print(f"  only A reads right: {test.only_a}; only B reads right: {test.only_b}")
    print(f"  {test.sentence(name_a, name_b)}")

    disagree = c.disagree
    names = data.names or [f"#{i}" for i in range(len(c.labels))]
    if len(disagree) == 0:
        print("disagreements: none (A and B read every digit the same)")
    else:
        shown = [names[i] for i in disagree[:DISAGREEMENTS_SHOWN]]
        folder = os.path.dirname(os.path.commonprefix(shown)) if data.names else ""
        if folder:  # file:line or file names, without the folder they all share
            shown = [n[len(folder):].lstrip(os.sep) for n in shown]
        print(f"disagreements: {len(disagree)} digits A and B read differently"
              + (f" (in {folder})" if folder else ""))
        col = max(6, *(len(n) for n in shown))
        print(f"  {'sample':<{col}}  true      A      B  right")
        for i, name in zip(disagree, shown):
            right = "A" if c.a[i] == c.labels[i] else "B" if c.b[i] == c.labels[i] else "neither"
            print(f"  {name:<{col}}  {c.labels[i]:>4}  {_reading(c.a[i]):>5}  {_reading(c.b[i]):>5}  {right}")
        if len(disagree) > DISAGREEMENTS_SHOWN:
            where = "the JSON" if args.json == JSON_TO_STDOUT else args.json
            print(f"  ... and {len(disagree) - DISAGREEMENTS_SHOWN} more"
                  + (f" (all of them in {where})" if args.json else " (--json FILE lists them all)"))
    if args.plot:
        from .core.comparison_plot import save_comparison_png

        save_comparison_png(c, args.plot, _data_name(data))
        print(f"comparison plot: {args.plot}")
    if args.json:
        def digit(v) -> int | None:
            return None if v < 0 else int(v)

        report = {
            "data": data.source, "count": sa.count,
            "a": {"model": str(path_a), "name": name_a, **sa.to_dict()},
            "b": {"model": str(path_b), "name": name_b, **sb.to_dict()},
            "comparison": {
                "accuracy_a": round(sa.accuracy, 6), "accuracy_b": round(sb.accuracy, 6),
                "delta": round(sb.accuracy - sa.accuracy, 6), "only_a": test.only_a, "only_b": test.only_b,
                "p_value": test.p_value, "statistic": test.statistic, "significant": test.p_value < 0.05,
                "sentence": test.sentence(name_a, name_b),
                "disagreements": [{"index": int(i), "name": names[i], "label": int(c.labels[i]),
                                   "a": digit(c.a[i]), "b": digit(c.b[i])} for i in disagree],
            },
        }
        _save_json(args, report)
    return 0


# ----------------------------------------------------------------------------------- predict
def _expanded(paths: list[str], suffixes: set[str]) -> Iterator[str]:
    """The paths, with each folder replaced by the files in it and its sub-folders that have one
    of ``suffixes``, in name order (hidden files and folders, such as macOS's ``._x.png``, left
    out); a folder with none stays, to be reported."""
    from .core.images import visible_files

    for raw in paths:
        folder = Path(raw)
        if raw == "-" or not folder.is_dir():
            yield raw
            continue
        found = visible_files(folder, suffixes)
        yield from (map(str, found) if found else [raw])


def _inputs(paths: list[str], y_up: bool = False):
    """(source, kind, payload) in input order; kind is 'image', 'ink' or 'error'."""
    from .core.images import IMAGE_SUFFIXES, MAX_FILE_BYTES, decode_image, looks_like_picture, read_image
    from .core.ink import MAX_INK_BYTES, flip_y, iter_jsonl, parse_ink, parse_json, read_ink
    from .core.input_files import regular_size

    def upright(ink):
        return flip_y(ink) if y_up else ink

    def inks(lines, source):
        for name, ink in iter_jsonl(lines, source, keep_going=True):
            yield (name, "error", str(ink)) if isinstance(ink, DigitPadError) else (name, "ink", upright(ink))

    def parses(text: str) -> bool:
        try:
            parse_json(text)
        except DigitPadError:
            return False
        return True

    def stdin_picture():
        """A picture piped in (``cat seven.png |``), or None when standard input is text."""
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None or not hasattr(buffer, "peek") or not looks_like_picture(buffer.peek(16)[:16]):
            return None
        data = buffer.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise DigitPadError(f"too large for a picture of a digit (over {MAX_FILE_BYTES // 1_000_000} MB)", "-")
        return decode_image(data, "-")

    def stdin_inks():
        """JSON Lines, streamed; or one drawing's pretty-printed JSON (``cat seven.json |``), whole
        when it is no longer than an ink may be."""
        lines, head = iter(sys.stdin), []
        for line in lines:
            head.append(line)
            if line.strip():
                break
        first = head[-1].strip().lstrip("\ufeff") if head else ""
        if first[:1] == "{" and not parses(first):
            size = sum(map(len, head))
            for line in lines:
                head.append(line)
                size += len(line)
                if size > MAX_INK_BYTES:
                    break  # too long for one drawing: JSON Lines after all, each line read alone
            else:
                try:
                    yield "-", "ink", upright(parse_ink("".join(head), "-"))
                    return
                except DigitPadError as exc:
                    if first in ("{", "["):  # it opened as one document: one error says what is wrong
                        yield "-", "error", str(exc)
                        return
                    # else a first line of JSON Lines that is broken: each line says what is wrong with it
        yield from inks(itertools.chain(head, lines), "-")

    stdin_read = False
    for raw in _expanded(paths, IMAGE_SUFFIXES | {".json", ".jsonl", ".ndjson"}):
        path = Path(raw)
        try:
            if raw == "-":
                if sys.stdin is None:
                    raise DigitPadError("standard input is closed", "-")
                if stdin_read:
                    raise DigitPadError("standard input was read already: give '-' once", "-")
                stdin_read = True
                picture = stdin_picture()
                yield from stdin_inks() if picture is None else [("-", "image", picture)]
            elif path.suffix.lower() in (".jsonl", ".ndjson"):
                try:
                    regular_size(path)
                    with open(path, encoding="utf-8") as fh:
                        read = 0
                        for read, item in enumerate(inks(fh, raw), 1):
                            yield item
                    # a named file that holds nothing is a mistake; an empty one in a folder, or empty stdin, is not
                    if not read and raw in paths:
                        raise DigitPadError("no inks in this file (it is empty or holds only blank lines)", path)
                except (OSError, UnicodeDecodeError) as exc:
                    raise DigitPadError(f"cannot read ({getattr(exc, 'strerror', None) or exc})", path) from None
            elif path.suffix.lower() == ".json":
                yield raw, "ink", upright(read_ink(path))
            elif path.suffix.lower() in (".npz", ".csv"):
                raise DigitPadError("a set of labelled digits, not a picture: measure a model on it with "
                                    "'digitpad evaluate --data', or add it with 'digitpad samples import'", path)
            elif path.suffix.lower() in IMAGE_SUFFIXES or path.is_file():
                yield raw, "image", read_image(path)
            elif path.is_dir():
                raise DigitPadError("no pictures or inks in this folder", path)
            else:
                raise DigitPadError("no such file" if not path.exists() else "not a regular file but a device, pipe or "
                                    "socket: give what it holds on standard input, as '-'", path)
        except DigitPadError as exc:
            yield raw, "error", str(exc)


def cmd_predict(args) -> int:
    import cv2

    from .core.ink import ink_to_mnist
    from .core.preprocess import stacked, to_mnist
    from .core.verdict import Thresholds, judge
    from .ml.numpy_recognizer import load_recognizer

    model = Path(args.model) if args.model else _default_model()
    rec = load_recognizer(model, trust=getattr(args, "trust_model", False))
    settings = rec.info.preprocessing
    thresholds = Thresholds.from_sidecar(rec.info.thresholds)
    if args.number:
        return _predict_numbers(args, rec, thresholds)
    out = sys.stdout
    failures = 0

    def flush(batch):
        nonlocal failures
        good = [i for i, (_, kind, x) in enumerate(batch) if kind == "x"]
        preds = rec.predict(stacked([batch[i][2] for i in good])[0]) if good else None
        slot = {i: k for k, i in enumerate(good)}
        for i, (source, kind, payload) in enumerate(batch):
            if kind == "error":
                failures += 1
                _err(payload)
                record = {"source": source, "error": payload}
            elif kind == "empty":
                record = {"source": source, "digit": None, "confidence": 0.0, "probabilities": None,
                          "empty": True, "verdict": "empty"}
            else:
                k = slot[i]
                p = preds.probabilities[k]
                error = None if preds.reconstruction_errors is None else float(preds.reconstruction_errors[k])
                likeness = None if preds.digit_likeness is None else float(preds.digit_likeness[k])
                verdict = judge(p, error, thresholds, likeness)
                record = {"source": source, "digit": int(p.argmax()), "confidence": round(float(p.max()), 6),
                          "probabilities": [round(float(v), 6) for v in p], "verdict": verdict.verdict.value}
                if verdict.reason:
                    record["reason"] = verdict.reason
                if error is not None:
                    record["reconstruction_error"] = round(error, 6)
                if likeness is not None:
                    record["digit_likeness"] = round(likeness, 6)
            try:
                line = json.dumps(record, allow_nan=False)
            except ValueError:  # NaN from a broken model is not JSON: say so instead of printing it
                failures += 1
                _err(f"{source}: the model gave a non-finite answer")
                line = json.dumps({"source": source, "error": "the model gave a non-finite answer"})
            out.write(line + "\n")
        out.flush()

    batch = []
    for source, kind, payload in _inputs(args.paths, args.y_up):
        if kind != "error":
            try:
                pre = ink_to_mnist(payload, settings) if kind == "ink" else to_mnist(payload, settings)
                kind, payload = ("empty", None) if pre.empty else ("x", pre)
            except (ValueError, DigitPadError) as exc:
                kind, payload = "error", f"{source}: {exc}"
            except (MemoryError, ArithmeticError, IndexError, cv2.error) as exc:  # a last line of defence
                kind, payload = "error", f"{source}: cannot process this input ({type(exc).__name__})"
        batch.append((source, kind, payload))
        if len(batch) >= args.batch_size:
            flush(batch)
            batch = []
    flush(batch)
    return EXIT_ERROR if failures else 0


def _number_record(source: str, pieces, rec, thresholds) -> dict:
    """One input read as a number: its digits left to right, each with its box and verdict, judged
    by the same rule as the app's number mode (``core.number_reading.judge_number``)."""
    import numpy as np

    from .core.number_reading import DigitReading, judge_number
    from .core.preprocess import Preprocessed
    from .core.recognition import Recognition

    if not pieces:
        return {"source": source, "number": None, "confidence": 0.0, "digits": [], "reason": "empty"}
    preds = rec.predict(np.stack([p.model_input for p in pieces]))
    readings = [DigitReading(piece.box, Recognition(
        Preprocessed(piece.image), preds.probabilities[k], None,
        None if preds.reconstruction_errors is None else float(preds.reconstruction_errors[k]),
        None if preds.digit_likeness is None else float(preds.digit_likeness[k]))) for k, piece in enumerate(pieces)]
    judged = judge_number(readings, thresholds)
    digits = []
    for reading, verdict in zip(readings, judged.judgements):
        r = reading.recognition
        entry = {"digit": r.digit, "confidence": round(r.confidence, 6), "box": [round(v, 1) for v in reading.box],
                 "verdict": verdict.verdict.value}
        if verdict.reason:
            entry["reason"] = verdict.reason
        digits.append(entry)
    record = {"source": source, "number": judged.number, "confidence": round(judged.confidence, 6), "digits": digits}
    if judged.number is None:
        record["reason"] = "no digit here (every part was refused as not a digit)"
    return record


def _predict_numbers(args, rec, thresholds) -> int:
    """``predict --number``: each input (ink or picture) read as one number."""
    from .core.numbers import split_ink, split_picture

    def read(images):
        return rec.predict(images).probabilities

    failures = 0
    for source, kind, payload in _inputs(args.paths, args.y_up):
        if kind != "error":
            try:
                pieces = (split_ink(payload, read, rec.info.preprocessing) if kind == "ink"
                          else split_picture(payload, read, rec.info.preprocessing))
                record = _number_record(source, pieces, rec, thresholds)
            except (ValueError, DigitPadError) as exc:
                kind, payload = "error", f"{source}: {exc}"
        if kind == "error":
            failures += 1
            _err(payload)
            record = {"source": source, "error": payload}
        sys.stdout.write(json.dumps(record, allow_nan=False) + "\n")
    sys.stdout.flush()
    return EXIT_ERROR if failures else 0


# ----------------------------------------------------------------------------------- explain
#: Feature-map layers shown in the figure: the first ones from the input in.
EXPLAIN_LAYERS = 3


def _note(message: str) -> None:
    print(f"digitpad: {message}", file=sys.stderr, flush=True)


def _latent_map(rec, model: Path, mnist: str | None):
    """MNIST test's map for this model, from the cache beside it (or the user's cache) or built now
    and cached; ``(None, why)`` when there is none to be had."""
    from .ml import inside

    try:
        found = inside.cached_or_builder(rec, mnist)
    except (DigitPadError, inside.Unsupported) as exc:
        return None, f"no nearest MNIST digits in the figure: {exc}"
    if isinstance(found, inside.MapBuilder):
        _note(f"mapping MNIST test's {found.total:,} digits through {model.name} (once per model, 10-20 s; "
              "cached for next time)")
        while not found.step():
            pass
        found = found.result()
    return found, ""


def cmd_explain(args) -> int:
    import cv2

    from .core.explain_figure import Figure, Neighbours, check_suffix, save_figure, strongest_channels
    from .core.verdict import Thresholds, judge
    from .ml import inside
    from .ml.numpy_recognizer import load_recognizer

    check_suffix(args.output)  # before any work
    model = Path(args.model) if args.model else _default_model()
    rec = load_recognizer(model, trust=getattr(args, "trust_model", False))
    inputs = _inputs([args.input], args.y_up)
    source, kind, payload = next(inputs, (args.input, "error", f"{args.input}: no ink in this file"))
    if kind == "error":
        raise DigitPadError(payload)
    if source != "-" and os.path.exists(args.output) and os.path.exists(source) \
            and os.path.samefile(args.output, source):  # a folder's first picture too
        raise DigitPadError("is the picture to explain: the figure would overwrite it; give -o another file",
                            args.output)
    if next(inputs, None) is not None:
        _note(f"{args.input} holds more than one ink: explaining the first ({source})")
    try:
        r = rec.recognise_ink(payload) if kind == "ink" else rec.recognise_image(payload)
    except (ValueError, MemoryError, ArithmeticError, IndexError, cv2.error) as exc:
        raise DigitPadError(f"cannot process this input ({exc or type(exc).__name__})", source) from None
    if r.empty:
        raise DigitPadError("nothing to explain: the input is blank", source)
    try:
        inside.look_inside(rec, r.preprocessed.image)  # a model whose layers cannot be seen fails here, at once
        latent, note = _latent_map(rec, model, args.mnist)
        ex = inside.explain(rec, r.preprocessed.image, target=args.target, latent=latent, answer=r.digit)
    except inside.Unsupported as exc:
        raise DigitPadError(f"cannot look inside this model ({exc})", model) from None
    seen, neighbours = ex.inside, None
    if ex.neighbours is not None:
        neighbours = Neighbours(latent.images[ex.neighbours], tuple(int(v) for v in latent.labels[ex.neighbours]),
                                latent.layer, latent.kind)
    elif latent is not None:
        note = f"no nearest MNIST digits in the figure: the drawing has no code in layer {latent.layer}"
    if note:
        _note(note)
    judged = judge(r.probabilities, r.reconstruction_error, Thresholds.from_sidecar(rec.info.thresholds),
                   r.digit_likeness)  # the answer as predict and the app give it (an ink: all its widths)
    rows = strongest_channels(seen.maps, [(layer.name, layer.kind) for layer in seen.layers[:EXPLAIN_LAYERS]])
    caption = f"{Path(source).name}, model {rec.name} ({model.name})"
    save_figure(Figure(seen.image, r.probabilities, ex.target, ex.saliency, seen.reconstruction, rows,
                       neighbours, judged.verdict.value, judged.reason, caption, note), args.output)
    print(f"explanation figure: {args.output}")
    return 0


# ----------------------------------------------------------------------------------- samples
def cmd_samples(args) -> int:
    from .core.sample_formats import counted, export, import_samples
    from .core.sample_store import SampleStore

    if args.samples_command != "import":
        _existing_store(args.store)
    failed = 0
    with SampleStore(args.store) as store:
        if args.samples_command == "import":
            for path in args.paths:  # each file whole or not at all; a bad one does not stop the rest
                try:
                    added, present = import_samples(store, path, args.format, writer=args.writer or "",
                                                    y_up=args.y_up)
                except DigitPadError as exc:
                    _err(f"{exc} (nothing imported from it)")
                    failed += 1
                    continue
                print(f"{path}: imported {counted(added, 'sample')}"
                      + (f" ({present} already in the store)" if present else ""))
            print(f"store {store.path}: {counted(store.count(), 'sample')}")
        elif args.samples_command == "export":
            fmt = args.format or {".jsonl": "jsonl", ".npz": "npz"}.get(Path(args.path).suffix.lower())
            if fmt is None:
                raise DigitPadError("say --format idx or --format png for a folder (or name a .jsonl/.npz file)",
                                    args.path)
            n = export(store, args.path, fmt)
            print(f"exported {counted(n, 'sample')} to {args.path} ({fmt})")
        else:
            stats = store.stats()
            if args.json:
                print(json.dumps(stats))
            else:
                print(f"{stats['total']} samples in {stats['store']}")
                for d, c in stats["per_digit"].items():
                    print(f"  {d}: {c['train'] + c['test']:5d}  (train {c['train']}, test {c['test']})")
                print("writers: " + (", ".join(f"{w or '(none)'} {n}" for w, n in sorted(stats["per_writer"].items()))
                                     or "none"))
    return EXIT_ERROR if failed else 0


def cmd_finetune(args) -> int:
    store = _existing_store(args.store)  # refused before TensorFlow is loaded, which takes seconds
    _check_outputs(args.output, args.json)
    from .ml.finetune import finetune
    from .ml.training import TrainConfig

    base = Path(args.model) if args.model else _default_model()
    cfg = TrainConfig(init_from=base, output=Path(args.output), mnist=args.mnist, batch_size=args.batch_size,
                      seed=args.seed, epochs=args.epochs, extra_share=args.homemade_share, variants=args.variants,
                      lr=args.lr, mnist_per_epoch=args.mnist_per_epoch, extra=args.extra or [],
                      rehearsal=args.rehearsal, habits=args.habits)
    report = finetune(cfg, store, log=lambda m: print(m, flush=True))
    from .core.metrics import format_before_after

    print("\n" + format_before_after(report.before, report.after))
    if args.json:
        _save_json(args, report.summary())
    return 0 if report.mnist_drop_ok else 3


# ----------------------------------------------------------------------------------- self-test
def cmd_self_test(args) -> int:
    """Headless check of an install or bundle: the model recognises the shipped sample digits, and
    the banks fine-tuning mixes in are there and readable."""
    from .core.labelled_sets import load_labelled
    from .core.model_files import samples_dir
    from .ml.numpy_recognizer import load_recognizer

    model = Path(args.model) if args.model else _default_model()
    rec = load_recognizer(model, trust=getattr(args, "trust_model", False))
    data = load_labelled(samples_dir())
    wrong = 0
    for name, image, label in zip(data.names, data.images, data.labels):
        r = rec.recognise_image(image)
        ok = r.digit == label
        wrong += not ok
        print(f"{Path(name).name}: expected {label}, got {r.digit} ({r.confidence * 100:.1f}%) {'ok' if ok else 'WRONG'}")
    missing = _missing_training_banks()
    for problem in missing:
        print(f"fine-tuning bank unreadable: {problem}")
    print(f"self-test {'passed' if not wrong and not missing else 'FAILED'}: {len(data.labels) - wrong}/"
          f"{len(data.labels)} recognised with {rec.name}" + (f", {len(missing)} fine-tuning bank(s) unreadable"
                                                               if missing else "")
          + f" (DigitPad {__version__}, {model})")
    return 0 if not wrong and not missing else EXIT_ERROR


def _missing_training_banks() -> list[str]:
    """The shipped banks that fine-tuning mixes in, where absent or unreadable: without them it
    would quietly forget real handwriting and what is not a digit."""
    from .core.model_files import resources_dir
    from .core.training_data import picture_bank
    from .core.training_presets import NON_DIGIT_BANK, REAL_DIGIT_BANK

    missing = []
    for name in (NON_DIGIT_BANK, REAL_DIGIT_BANK):
        path = resources_dir() / name
        try:
            picture_bank(path, labelled=name == REAL_DIGIT_BANK)
        except DigitPadError as exc:
            missing.append(str(exc))
    return missing


# --------------------------------------------------------------------------------------- gui
def cmd_gui(args) -> int:
    try:
        from .gui.app import run
    except ImportError as exc:  # the GUI arrives with the desktop-app issue
        print(f"DigitPad {__version__}: the desktop window is not available yet ({exc}). "
              "Try 'digitpad --help' for the command-line tools.")
        return 0
    return run(model=args.model, store=args.store, mnist=args.mnist)


REHEARSAL_HELP = ("share of each epoch of real pen digits from the shipped resources/real-digits.npz (UNIPEN train "
                  "writers): when fine-tuning, so the model keeps habits your samples lack")


def _per_preset(key: str) -> str:
    from .core.training_presets import FINETUNE, PRESETS

    text = ", ".join(f"{v[key]:g} for {k}" for k, v in PRESETS.items())
    return text + (f", {FINETUNE[key]:g} from a model" if key in FINETUNE else ", the base model's from a model")


def _whole(minimum: int):
    """An argparse type: a whole number of at least ``minimum`` (a batch of 0 or -1 is a typo)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value
    parse.__name__ = "whole number"
    return parse


def build_parser() -> argparse.ArgumentParser:
    from .core.training_presets import DEFAULT_ARCHITECTURE, FINETUNE, PRESETS

    p = argparse.ArgumentParser(prog="digitpad", description="Handwritten digit recognition: draw, recognise, "
                                "fine-tune. With no command, opens the desktop app.")
    p.add_argument("--version", action="version", version=f"digitpad {__version__}")
    p.add_argument("--model", help="model to open in the app (default: the shipped model)")
    p.add_argument("--store", help="sample store the app collects into (default: the user's data folder)")
    p.add_argument("--mnist", help="MNIST for fine-tuning in the app: an mnist.npz or a folder of the four IDX files "
                   "(default: the one chosen in the app, then $DIGITPAD_MNIST, the Keras cache, a download)")
    p.add_argument("--self-test", action="store_true",
                   help="without a window: load the model, recognise the shipped sample digits, read the "
                        "fine-tuning banks; exit 0 if all are right")
    sub = p.add_subparsers(dest="command")

    t = sub.add_parser("train", help="train a model on MNIST (+ extra labelled data and ink), from scratch or "
                                     "from a model")
    t.add_argument("--architecture", "-a", choices=sorted(PRESETS),
                   help=f"default: {DEFAULT_ARCHITECTURE} (or the --init-from model's)")
    t.add_argument("--init-from", metavar="MODEL", help="start from this model instead of from scratch (the "
                   "fine-tuning defaults then apply, as in 'digitpad finetune')")
    t.add_argument("--epochs", type=_whole(1), help="default: " + _per_preset("epochs"))
    t.add_argument("--lr", type=float, help="peak learning rate; default: " + _per_preset("lr"))
    t.add_argument("--batch-size", type=_whole(1), default=128)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--output", "-o", default="models/digitpad-default.keras",
                   help="model file to write (.keras); a .json sidecar goes beside it")
    t.add_argument("--mnist", help="MNIST .npz or folder of IDX files")
    t.add_argument("--extra", action="append", metavar="DATA",
                   help="extra labelled digits: npz, IDX folder, image folder, or ink JSON Lines with a 'label' "
                        "key, optionally selected by keys: 'unipen.jsonl:part=train'; repeatable")
    t.add_argument("--store", help="also train on this sample store's training split")
    t.add_argument("--extra-share", type=float, help="share of each epoch drawn from --extra and --store; default: "
                   + _per_preset("extra_share"))
    t.add_argument("--variants", type=_whole(0), help="distorted redrawings of each extra ink; default: "
                   + _per_preset("variants"))
    t.add_argument("--habits", type=float, help="share of each epoch of synthetic writing habits (slashed zeros, "
                   "flagged ones, crossed sevens...); default: " + _per_preset("habits"))
    t.add_argument("--non-digits", action="append", metavar="DATA",
                   help="letters, symbols and other non-digits that teach the model's is_digit output: ink JSON "
                        "Lines (selected by keys as for --extra) or an .npz of 28x28 uint8 pictures under 'x'; "
                        "added to the shipped resources/non-digits.npz and synthetic scribbles; repeatable")
    t.add_argument("--non-digit-share", type=float, help="share of each epoch of non-digits (models with an "
                   "is_digit output); default: " + _per_preset("non_digit_share"))
    t.add_argument("--rehearsal", type=float, help=REHEARSAL_HELP + "; default: " + _per_preset("rehearsal"))
    t.add_argument("--calibrate", action="append", metavar="DATA",
                   help="labelled digits, as for --extra, used only to calibrate the verdict thresholds; repeatable")
    t.add_argument("--augment", choices=["on", "off"], help="default: on")
    t.add_argument("--stroke-mix", type=float, help="share of each epoch redrawn as ink (0..1); default: "
                   + _per_preset("stroke_mix"))
    t.add_argument("--limit", type=_whole(1), help="use only the first N MNIST training digits")
    t.add_argument("--logdir", help="TensorBoard log folder (default runs/<model name>)")
    t.add_argument("--no-tensorboard", action="store_true")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="accuracy, per-class accuracy and confusion matrix")
    e.add_argument("model", nargs="?", help="model file (default: the shipped default model)")
    e.add_argument("--compare", metavar="MODEL_B",
                   help="a second model: evaluate both on the same digits, list the digits they read differently "
                        "and test the difference in accuracy (McNemar)")
    e.add_argument("--data", help="labelled set: npz, IDX folder, folder of images, or ink JSON Lines with a 'label' "
                                  "key, optionally selected by keys: 'unipen.jsonl:part=test' (default: MNIST test)")
    e.add_argument("--mnist", help="where MNIST is, when --data is not given")
    e.add_argument("--plot", metavar="PNG", help="also save the confusion matrix as a PNG (with --compare: both "
                                                 "models' and their difference)")
    e.add_argument("--json", metavar="FILE", help="also save the scores as JSON (with --compare: both models', "
                                                  "the test and every disagreement); '-': on standard output, "
                                                  "the report for people then on standard error")
    e.add_argument("--trust-model", action="store_true", help=TRUST_HELP + " (with --compare: either model)")
    e.set_defaults(func=cmd_evaluate)

    r = sub.add_parser("predict", help="recognise images, ink .json files or .jsonl ink lists")
    r.add_argument("paths", nargs="+", metavar="PATH",
                   help="image, .json ink, .jsonl inks, a folder of them (read in name order), or - for JSONL on stdin")
    r.add_argument("--model", dest="model", help="model file (default: the shipped default model)")
    r.add_argument("--batch-size", type=_whole(1), default=512)
    r.add_argument("--y-up", action="store_true", help=Y_UP_HELP)
    r.add_argument("--trust-model", action="store_true", help=TRUST_HELP)
    r.add_argument("--number", action="store_true",
                   help="read each input as a whole number of several digits: prints the number, its confidence "
                        "and each digit with its box and verdict")
    r.set_defaults(func=cmd_predict)

    x = sub.add_parser("explain", help="one figure of what the model sees in a drawing: input, reconstruction, "
                                       "saliency, feature maps, nearest MNIST digits")
    x.add_argument("input", metavar="INPUT", help="image, .json ink, or .jsonl inks (the first is explained)")
    x.add_argument("--model", dest="model", help="model file (default: the shipped default model)")
    x.add_argument("--output", "-o", required=True, metavar="PNG", help="figure to write (.png, or .jpg, .bmp, .tif)")
    x.add_argument("--target", type=int, choices=range(10), metavar="D",
                   help="'why not D?': the saliency for digit D instead of the model's answer")
    x.add_argument("--mnist", help="MNIST for the nearest digits (default: $DIGITPAD_MNIST, then the Keras cache; "
                   "never downloaded). Without it the figure has no neighbours. The map of MNIST test is built "
                   "once per model (10-20 s) and cached beside the model")
    x.add_argument("--y-up", action="store_true", help=Y_UP_HELP)
    x.add_argument("--trust-model", action="store_true", help=TRUST_HELP)
    x.set_defaults(func=cmd_explain)
    store_help = "sample store (SQLite file; default: the user's data folder)"
    sm = sub.add_parser("samples", help="import, export and count homemade samples")
    smsub = sm.add_subparsers(dest="samples_command", required=True)
    si = smsub.add_parser("import", help="add samples from ink JSON Lines, npz, IDX folder or PNG folder + labels.csv")
    si.add_argument("paths", nargs="+")
    si.add_argument("--format", choices=["jsonl", "npz", "csv", "idx", "png"])
    si.add_argument("--writer", help="writer name for samples that do not say")
    si.add_argument("--y-up", action="store_true", help=Y_UP_HELP)
    si.add_argument("--store", help=store_help)
    se = smsub.add_parser("export", help="write all samples as jsonl, npz, idx (folder) or png (folder)")
    se.add_argument("path")
    se.add_argument("--format", choices=["jsonl", "npz", "idx", "png"])
    se.add_argument("--store", help=store_help)
    ss = smsub.add_parser("stats", help="counts per digit, split and writer")
    ss.add_argument("--store", help=store_help)
    ss.add_argument("--json", action="store_true")
    sm.set_defaults(func=cmd_samples)

    f = sub.add_parser("finetune", help="fine-tune a model on MNIST + your samples; report before/after")
    f.add_argument("--model", dest="model", help="model to start from (default: the shipped default model)")
    f.add_argument("--output", "-o", default="finetuned.keras")
    f.add_argument("--store", help=store_help)
    f.add_argument("--epochs", type=_whole(1), help=f"passes over the mix (default {FINETUNE['epochs']})")
    f.add_argument("--homemade-share", type=float,
                   help=f"share of each epoch taken from your samples (default {FINETUNE['extra_share']})")
    f.add_argument("--variants", type=_whole(0),
                   help=f"distorted redrawings of each of your inks (default {FINETUNE['variants']}; 0: none)")
    f.add_argument("--lr", type=float, help=f"peak learning rate (default {FINETUNE['lr']:g})")
    f.add_argument("--mnist-per-epoch", type=_whole(0), help=f"MNIST training digits drawn for each epoch (default "
                   f"{FINETUNE['mnist_per_epoch']} of 55000)")
    f.add_argument("--rehearsal", type=float, help=f"{REHEARSAL_HELP} (default {FINETUNE['rehearsal']:g}; 0: none)")
    f.add_argument("--habits", type=float, help=f"share of each epoch of synthetic writing habits (default "
                   f"{FINETUNE['habits']:g}; 0: none)")
    f.add_argument("--extra", action="append", metavar="DATA", help="more labelled digits or ink, as for 'train'")
    f.add_argument("--batch-size", type=_whole(1), default=128)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--mnist")
    f.add_argument("--json", metavar="FILE", help="also save the before/after report as JSON; '-': on "
                   "standard output, the progress and report for people then on standard error")
    f.set_defaults(func=cmd_finetune)
    return p


def _on_sigterm(signum, frame) -> None:
    """Leave as Ctrl-C does, through every ``finally``: a save in progress removes its temporary file."""
    raise SystemExit(128 + signum)


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    try:  # Ctrl+C while the parser's imports load is an interruption like any other
        args = build_parser().parse_args(argv)
        func = getattr(args, "func", cmd_self_test if args.self_test else cmd_gui)
        if func is not cmd_gui:
            signal.signal(signal.SIGTERM, _on_sigterm)
        if sys.stdout is None or sys.stderr is None:  # started with >&- or 2>&-
            if sys.stderr is not None:
                _err("standard output is closed")
            return EXIT_ERROR
        if getattr(args, "json", None) == JSON_TO_STDOUT:
            args.json_stream = sys.stdout
            with contextlib.redirect_stdout(sys.stderr):
                return func(args)
        return func(args)
    except DigitPadError as exc:
        _err(str(exc))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OSError as exc:  # output that cannot be written: a full disk, /dev/full, a read-only folder
        _silence_stdout()
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _err(f"{where}cannot write ({exc.strerror or exc})")
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

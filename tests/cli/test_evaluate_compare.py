"""``digitpad evaluate A --compare B``: both models on the same digits, where they disagree and
McNemar's test; and ``evaluate --data inks.jsonl[:key=value]``, read as ``predict`` reads inks."""
import json
import re

import cv2
import numpy as np
import pytest

from support import ROOT, run_cli

PAPER = ROOT / "models" / "paper.keras"


def _stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


@pytest.fixture
def mnist_npz(mnist_file, tmp_path):
    """The first 1,000 MNIST test digits: enough for the two shipped models to read a few differently."""
    with np.load(mnist_file) as data:
        x, y = data["x_test"][:1000], data["y_test"][:1000]
    path = tmp_path / "first1000.npz"
    np.savez(path, x=x, y=y)
    return path, y


def _unipen_lines(unipen_file, part: str, n: int) -> list[str]:
    lines = []
    with open(unipen_file, encoding="utf-8") as fh:
        for line in fh:
            if json.loads(line)["part"] == part:
                lines.append(line if line.endswith("\n") else line + "\n")
                if len(lines) == n:
                    break
    return lines


def test_compare_prints_both_the_test_and_the_disagreements(cli_env, shipped_model, mnist_npz, tmp_path):
    npz, labels = mnist_npz
    out = run_cli(["evaluate", "--compare", str(PAPER), "--data", str(npz), "--json", str(tmp_path / "c.json"),
                   "--plot", str(tmp_path / "c.png")], cli_env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    report = json.loads((tmp_path / "c.json").read_text())
    cmp = report["comparison"]
    # both models' full blocks, then the comparison
    assert f"A: digitpad-default on {npz}: accuracy {report['a']['accuracy'] * 100:.2f}% on 1000 digits" in text
    assert f"B: paper on {npz}: accuracy {report['b']['accuracy'] * 100:.2f}% on 1000 digits" in text
    assert text.count("confusion matrix (rows: true digit") == 2
    acc = dict(re.findall(r"^  ([AB]) \S+\s+accuracy (\d+\.\d\d)%", text, re.M))
    assert acc == {"A": f"{cmp['accuracy_a'] * 100:.2f}", "B": f"{cmp['accuracy_b'] * 100:.2f}"}
    assert f"B - A: {cmp['delta'] * 100:+.2f} percentage points" in text
    assert f"only A reads right: {cmp['only_a']}; only B reads right: {cmp['only_b']}" in text
    mcnemar = [line for line in text.splitlines() if "McNemar's test" in line]
    assert len(mcnemar) == 1 and f"p = {cmp['p_value']:.3g}" in mcnemar[0], text
    assert cmp["sentence"] in mcnemar[0]
    assert report["a"]["count"] == report["b"]["count"] == report["count"] == 1000
    # the disagreements, printed and saved, each with the truth and both readings
    rows = re.findall(r"^  #(\d+)\s+(\d)\s+(\d|blank)\s+(\d|blank)\s+(A|B|neither)$", text, re.M)
    saved = cmp["disagreements"]
    assert saved, "the two shipped models read some of MNIST test's first 1,000 digits differently"
    assert f"disagreements: {len(saved)} digits A and B read differently" in text
    assert [(int(i), int(t), a, b) for i, t, a, b, _ in rows] == \
        [(d["index"], d["label"], str(d["a"]), str(d["b"])) for d in saved][:50]
    assert all(d["label"] == labels[d["index"]] and d["a"] != d["b"] for d in saved)
    assert sum(d["a"] == d["label"] != d["b"] for d in saved) == cmp["only_a"]
    assert sum(d["b"] == d["label"] != d["a"] for d in saved) == cmp["only_b"]
    # the numbers agree with each other: accuracy from the confusion matrices, delta from the accuracies
    for key in ("a", "b"):
        m = np.array(report[key]["confusion"])
        assert np.trace(m[:, :10]) / m.sum() == pytest.approx(report[key]["accuracy"], abs=1e-6)
    assert cmp["delta"] == pytest.approx(cmp["accuracy_b"] - cmp["accuracy_a"], abs=2e-6)
    assert (np.array(report["b"]["confusion"]) - report["a"]["confusion"]).diagonal().sum() == \
        cmp["only_b"] - cmp["only_a"]
    img = cv2.imread(str(tmp_path / "c.png"))
    assert img is not None and img.shape[1] > 2 * img.shape[0]
    assert out.stderr == "", out.stderr


def test_a_long_disagreement_list_is_cut_with_how_many_more(mnist_npz, shipped_model, tmp_path, monkeypatch,
                                                              capsys):
    from digitpad import cli

    monkeypatch.setattr(cli, "DISAGREEMENTS_SHOWN", 2)
    npz, _ = mnist_npz
    assert cli.main(["evaluate", "--compare", str(PAPER), "--data", str(npz), "--json", str(tmp_path / "c.json")]) == 0
    text = capsys.readouterr().out
    total = len(json.loads((tmp_path / "c.json").read_text())["comparison"]["disagreements"])
    assert total > 2
    assert len(re.findall(r"^  #\d+ ", text, re.M)) == 2
    assert f"  ... and {total - 2} more (all of them in {tmp_path / 'c.json'})" in text


@pytest.mark.parametrize("compare", [False, True])
def test_json_dash_puts_the_json_alone_on_standard_output(mnist_npz, shipped_model, tmp_path, monkeypatch, capsys,
                                                           compare):
    """``--json -`` is for a pipe (``| jq``): standard output holds the one JSON document and nothing
    else; the report for people goes to standard error, and no file named "-" appears."""
    from digitpad import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "DISAGREEMENTS_SHOWN", 2)
    npz, _ = mnist_npz
    second = ["--compare", str(PAPER)] if compare else []
    assert cli.main(["evaluate", "--data", str(npz), "--json", "-", *second]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)  # the whole of standard output is one JSON document
    assert out.count("\n") == 1
    if compare:
        total = len(report["comparison"]["disagreements"])
        assert "McNemar's test" in err and f"  ... and {total - 2} more (all of them in the JSON)" in err
    else:
        assert report["count"] == 1000 and f"accuracy {report['accuracy'] * 100:.2f}% on 1000 digits" in err
    assert not (tmp_path / "-").exists()


def test_evaluate_reads_labelled_inks_as_predict_does(cli_env, shipped_model, unipen_file, tmp_path):
    test, train = _unipen_lines(unipen_file, "test", 80), _unipen_lines(unipen_file, "train", 20)
    inks = tmp_path / "inks.jsonl"
    inks.write_text("".join(train[:10] + test + train[10:]))
    is_test = [False] * 10 + [True] * len(test) + [False] * 10
    labels = np.array([json.loads(line)["label"] for line in train[:10] + test + train[10:]])

    readings = {}
    for name, model in (("a", shipped_model), ("b", PAPER)):
        out = run_cli(["predict", "--model", str(model), str(inks)], cli_env)
        assert out.returncode == 0, out.stderr
        readings[name] = [json.loads(line) for line in out.stdout.splitlines()]
    out = run_cli(["evaluate", "--compare", str(PAPER), "--data", f"{inks}:part=test", "--json",
                   str(tmp_path / "c.json")], cli_env)
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "c.json").read_text())
    assert report["data"] == f"{inks}:part=test" and report["count"] == len(test)

    def confusion(rows):
        m = np.zeros((10, 11), int)
        for row, label, keep in zip(rows, labels, is_test):
            if keep:
                m[label, 10 if row["digit"] is None else row["digit"]] += 1
        return m.tolist()

    assert report["a"]["confusion"] == confusion(readings["a"])
    assert report["b"]["confusion"] == confusion(readings["b"])
    differ = [(a["source"], label, a["digit"], b["digit"])
              for a, b, label, keep in zip(readings["a"], readings["b"], labels, is_test)
              if keep and a["digit"] != b["digit"]]
    assert [(d["name"], d["label"], d["a"], d["b"]) for d in report["comparison"]["disagreements"]] == differ
    for source, *_ in differ:  # named by file and line in the printed list too
        assert re.search(rf"^  {re.escape(source.rsplit('/', 1)[1])} ", out.stdout, re.M), out.stdout

    # and ink by ink, in this process: the same reading as predict's for every selected ink
    from digitpad.core.labelled_sets import load_labelled
    from digitpad.ml.evaluation import predict_set
    from digitpad.ml.numpy_recognizer import load_recognizer

    data = load_labelled(f"{inks}:part=test")
    assert data.model_inputs and data.names == [r["source"] for r, k in zip(readings["a"], is_test) if k]
    assert data.images.shape == (len(test), 28, 28) and data.images.dtype == np.uint8
    for name, model in (("a", shipped_model), ("b", PAPER)):
        mine = predict_set(load_recognizer(model), data).tolist()
        assert mine == [r["digit"] for r, k in zip(readings[name], is_test) if k]


def test_evaluate_on_a_whole_ink_file_and_a_selection_of_it(cli_env, shipped_model, unipen_file, tmp_path):
    inks = tmp_path / "inks.jsonl"
    inks.write_text("".join(_unipen_lines(unipen_file, "test", 7) + _unipen_lines(unipen_file, "tune", 5)))
    for spec, n in ((str(inks), 12), (f"{inks}:part=tune", 5), (f"{inks}:part=tune,suspect=false", 5)):
        out = run_cli(["evaluate", "--data", spec, "--json", str(tmp_path / "s.json")], cli_env)
        assert out.returncode == 0, out.stderr
        assert f"on {spec}: accuracy" in out.stdout and json.loads((tmp_path / "s.json").read_text())["count"] == n


@pytest.mark.parametrize("bad, why", [
    ('{"width": 100, "height": 100, "strokes": [[[10, 10], [50, 90]]], "part": "test"}', "no 'label' (a digit 0-9)"),
    ('{"width": 100, "height": 100, "strokes": [[[10, 10], [50, ', "not valid JSON"),
    ('{"width": 100, "height": 100, "strokes": [[[10, 10], [50, 90]]], "label": 12}', "'label' must be a digit"),
])
def test_an_unlabelled_or_broken_ink_line_is_one_error_line(cli_env, shipped_model, unipen_file, tmp_path, bad, why):
    inks = tmp_path / "inks.jsonl"
    inks.write_text("".join(_unipen_lines(unipen_file, "test", 2)) + bad + "\n")
    out = run_cli(["evaluate", "--compare", str(PAPER), "--data", str(inks)], cli_env)
    assert out.returncode == 1 and out.stdout == "", out.stdout
    errors = _stderr_lines(out.stderr)
    assert len(errors) == 1 and errors[0].startswith(f"digitpad: error: {inks}:3: ") and why in errors[0], errors


def test_a_selection_of_a_picture_set_or_of_nothing_is_one_error_line(cli_env, shipped_model, mnist_npz):
    npz, _ = mnist_npz
    for spec, why in ((f"{npz}:part=test", f"{npz}: a key=value selection applies to ink JSON Lines only"),
                      (f"{npz.parent / 'none.jsonl'}:part=test", f"{npz.parent / 'none.jsonl'}: no such file")):
        out = run_cli(["evaluate", "--data", spec], cli_env)
        assert out.returncode == 1 and out.stdout == ""
        assert _stderr_lines(out.stderr) == [f"digitpad: error: {why}" + (" or folder" if "no such" in why else "")]

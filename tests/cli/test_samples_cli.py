"""``digitpad samples import/export/stats`` and ``finetune``'s guard rail, as a user runs them."""
import json

import pytest

from support import run_cli

INK = {"width": 200, "height": 200, "strokes": [[[40, 40], [160, 40], [80, 180]]]}


def _jsonl(path, n_per_digit, writer="ana"):
    lines = []
    for k in range(n_per_digit):
        for d in range(10):
            doc = json.loads(json.dumps(INK))
            doc["strokes"][0][2][0] += d + k
            lines.append(json.dumps(dict(doc, label=d, writer=writer)))
    path.write_text("\n".join(lines) + "\n")


def test_import_stats_export_round_trip(cli_env, tmp_path):
    _jsonl(tmp_path / "in.jsonl", 5)
    store = str(tmp_path / "s.sqlite")
    out = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", store], cli_env)
    assert out.returncode == 0, out.stderr
    assert "imported 50 samples" in out.stdout
    again = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", store], cli_env)
    # no uid in the file: the inks themselves say they are there already
    assert "imported 0 samples (50 already in the store)" in again.stdout
    _jsonl(tmp_path / "more.jsonl", 6)  # the same 50 drawings and 10 more
    assert "imported 10 samples (50 already" in run_cli(["samples", "import", str(tmp_path / "more.jsonl"),
                                                         "--store", store], cli_env).stdout
    stats = json.loads(run_cli(["samples", "stats", "--json", "--store", store], cli_env).stdout)
    assert stats["total"] == 60 and sum(stats["per_digit"]["3"].values()) == 6
    out = run_cli(["samples", "export", str(tmp_path / "out.jsonl"), "--store", store], cli_env)
    assert out.returncode == 0 and "exported 60" in out.stdout
    other = str(tmp_path / "t.sqlite")
    run_cli(["samples", "import", str(tmp_path / "out.jsonl"), "--store", other], cli_env)
    back = json.loads(run_cli(["samples", "stats", "--json", "--store", other], cli_env).stdout)
    assert back["per_digit"] == stats["per_digit"] and back["per_writer"] == {"ana": 60}
    for fmt in ("idx", "png"):
        out = run_cli(["samples", "export", str(tmp_path / fmt), "--format", fmt, "--store", store], cli_env)
        assert out.returncode == 0, out.stderr


def test_malformed_import_is_one_line_and_imports_nothing(cli_env, tmp_path):
    _jsonl(tmp_path / "in.jsonl", 2)
    with open(tmp_path / "in.jsonl", "a") as fh:
        fh.write('{"width": 10, "height": 10, "strokes": [[[1, 2]]], "label": "seven"}\n')
    store = str(tmp_path / "s.sqlite")
    out = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", store], cli_env)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "in.jsonl:21" in out.stderr and "label" in out.stderr
    stats = json.loads(run_cli(["samples", "stats", "--json", "--store", store], cli_env).stdout)
    assert stats["total"] == 0


def test_finetune_refuses_too_few_samples(cli_env, tmp_path, shipped_model):
    _jsonl(tmp_path / "in.jsonl", 2)  # 2 per digit: nothing left for the test split
    store = str(tmp_path / "s.sqlite")
    run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", store], cli_env)
    out = run_cli(["finetune", "--store", store, "-o", str(tmp_path / "x.keras")], cli_env)
    assert out.returncode == 1 and "too few samples" in out.stderr.lower()
    assert not (tmp_path / "x.keras").exists()


def test_import_y_up_stores_the_inks_upright_and_only_inks_can_flip(cli_env, tmp_path):
    _jsonl(tmp_path / "in.jsonl", 1)
    lines = [json.loads(line) for line in (tmp_path / "in.jsonl").read_text().splitlines()]
    for doc in lines:
        doc["strokes"] = [[[px, doc["height"] - py] for px, py in stroke] for stroke in doc["strokes"]]
    (tmp_path / "up.jsonl").write_text("".join(json.dumps(doc) + "\n" for doc in lines))
    store = str(tmp_path / "s.sqlite")
    out = run_cli(["samples", "import", "--y-up", str(tmp_path / "up.jsonl"), "--store", store], cli_env)
    assert out.returncode == 0, out.stderr
    run_cli(["samples", "export", str(tmp_path / "out.jsonl"), "--store", store], cli_env)
    back = sorted((json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()),
                  key=lambda d: d["label"])
    assert [d["strokes"] for d in back] == [[[[40, 40], [160, 40], [80 + d, 180]]] for d in range(10)]
    run_cli(["samples", "export", str(tmp_path / "x.npz"), "--store", store], cli_env)
    out = run_cli(["samples", "import", "--y-up", str(tmp_path / "x.npz"), "--store", store], cli_env)
    assert out.returncode == 1 and "only ink" in out.stderr


def test_store_faults_are_one_line_naming_the_place(cli_env, tmp_path):
    import sqlite3

    _jsonl(tmp_path / "in.jsonl", 1)
    notes = tmp_path / "notes.sqlite"
    sqlite3.connect(notes).execute("CREATE TABLE notes (body TEXT)").connection.close()
    before = notes.read_bytes()
    out = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", str(notes)], cli_env)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "notes.sqlite: not a DigitPad sample store" in out.stderr and notes.read_bytes() == before
    with open(tmp_path / "in.jsonl", "a") as fh:
        fh.write(json.dumps(dict(INK, label=3))[:-1] + ', "created": NaN}\n')
    store = str(tmp_path / "s.sqlite")
    out = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", store], cli_env)
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "in.jsonl:11: 'created'" in out.stderr


def test_sigterm_during_an_export_leaves_no_folder_and_no_temporary(cli_env, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    import numpy as np

    from support import ROOT
    from digitpad.core.sample_store import Sample, SampleStore

    with SampleStore(tmp_path / "s.sqlite") as store:
        store.add_many([Sample(label=i % 10, image=np.full((28, 28), i % 256, np.uint8)) for i in range(6000)])
    proc = subprocess.Popen([sys.executable, "-m", "digitpad", "samples", "export", str(tmp_path / "png"), "--format",
                             "png", "--store", str(tmp_path / "s.sqlite")], env=cli_env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        hidden = list(tmp_path.glob(".png.*.tmp/images"))
        if hidden and len(os.listdir(hidden[0])) > 200:  # well into the export
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the export ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]  # no half export, no hidden temporary


def test_a_bad_file_among_several_is_named_and_the_others_are_imported(cli_env, tmp_path):
    ink = {"width": 100, "height": 100, "strokes": [[[10, 10], [90, 10], [40, 90]]]}
    (tmp_path / "a.jsonl").write_text(json.dumps(dict(ink, label=7)) + "\n")
    (tmp_path / "bad.jsonl").write_text(json.dumps(dict(ink, label=7)) + "\n{nope\n")
    (tmp_path / "c.jsonl").write_text(json.dumps(dict(ink, label=1, strokes=[[[50, 5], [50, 95]]])) + "\n")
    store = tmp_path / "s.sqlite"
    out = run_cli(["samples", "import", str(tmp_path / "a.jsonl"), str(tmp_path / "bad.jsonl"),
                   str(tmp_path / "c.jsonl"), "--store", str(store)], cli_env)
    assert out.returncode == 1
    errors = out.stderr.strip().splitlines()
    assert len(errors) == 1 and "bad.jsonl:2" in errors[0] and "nothing imported from it" in errors[0]
    assert "a.jsonl: imported 1 sample" in out.stdout and "c.jsonl: imported 1 sample" in out.stdout
    assert "2 samples" in out.stdout.splitlines()[-1]


def test_reading_a_store_that_is_not_there_says_so_and_makes_none(cli_env, tmp_path):
    model = str(tmp_path / "m.keras")
    for command in (["samples", "stats"], ["samples", "export", str(tmp_path / "out.jsonl")],
                    ["finetune", "-o", model], ["train", "--epochs", "1", "-o", model]):
        out = run_cli([*command, "--store", str(tmp_path / "typo.sqlite")], cli_env)
        assert out.returncode == 1 and "typo.sqlite: no such sample store" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("to_stdout", [False, True])
def test_finetune_json_holds_the_figures_whatever_the_report_view_keeps(tmp_path, monkeypatch, capsys, to_stdout):
    """The report also carries pictures and arrays for the app's report view: --json must not choke on them.
    ``--json -`` puts it alone on standard output, the before/after table on standard error."""
    import numpy as np

    import digitpad.ml.finetune as finetune_module
    from digitpad.cli import main
    from digitpad.core.sample_store import SampleStore

    SampleStore(tmp_path / "s.sqlite").close()
    from digitpad.core.metrics import score

    scores = {"mnist_test": score(np.array([1, 2, 3]), np.array([1, 2, 5])).to_dict()}
    report = finetune_module.FinetuneReport(before=scores, after=scores, output=str(tmp_path / "m.keras"), seconds=1.5,
                                            readings={"mnist_test": (np.zeros(3), np.ones(3), np.ones(3),
                                                                     np.zeros((3, 28, 28)))},
                                            ids={"homemade_test": np.arange(3)})
    monkeypatch.setattr(finetune_module, "finetune", lambda cfg, store, log: report)
    monkeypatch.chdir(tmp_path)
    rc = main(["finetune", "--store", str(tmp_path / "s.sqlite"), "-o", str(tmp_path / "m.keras"),
               "--json", "-" if to_stdout else str(tmp_path / "r.json")])
    assert rc == 0
    out, err = capsys.readouterr()
    if to_stdout:
        assert "before" in err and not (tmp_path / "-").exists()
    else:
        assert "before" in out and not err
    saved = out if to_stdout else (tmp_path / "r.json").read_text()
    assert json.loads(saved) == {"before": scores, "after": scores, "mnist_drop": 0.0, "mnist_drop_ok": True,
                                 "output": str(tmp_path / "m.keras"), "seconds": 1.5}

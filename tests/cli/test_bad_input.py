"""Hostile and broken input through the public commands: one clear line each, the rest of a batch
answered, nothing printed as JSON that is not JSON, no traceback, no file run as code."""
import json
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest

from support import ROOT, run_cli

HOSTILE_LINES = [
    "[" * 100_000 + "]" * 100_000,  # RecursionError in json
    '{"strokes": [[[1' + "0" * 400 + ', 2], [3, 4]]]}',  # OverflowError converting to float
    '{"width": 400, "height": 400, "strokes": [[[190.4, 1e308], [194.4, 1e308], [5e8, 1e308]]]}',
    '{"strokes": [[[-5.2e291, -479001601], [-110, 1024], [18446744073709551616, 1e-300], [2, 1]], [[1024, 3]]]}',
    '{"width": 400, "height": 400, "strokes": [[[0, 0], [2147483648, 5], [10, 10]]]}',
    '{"width": 1e400, "strokes": [[[1, 2], [3, 4]]]}',
]


def _digit_line(img) -> str:
    from digitpad.core.skeleton import digit_skeletons
    from digitpad.core.stroke_digits import segments_to_ink

    return segments_to_ink(digit_skeletons(img[None])[0]).to_json()


def _stderr_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.strip()]


def test_one_bad_line_costs_only_its_own_answer(cli_env, shipped_model, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    good = [_digit_line(img) for img in x[:40]]
    lines = good[:20] + HOSTILE_LINES + good[20:]
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    out = run_cli(["predict", str(tmp_path / "mixed.jsonl")], cli_env)
    assert out.returncode == 1
    rows = [json.loads(line) for line in out.stdout.splitlines()]  # every line is JSON
    assert len(rows) == len(lines)
    bad = rows[20:20 + len(HOSTILE_LINES)]
    assert all("error" in r and "digit" not in r for r in bad), bad
    answered = rows[:20] + rows[20 + len(HOSTILE_LINES):]
    assert sum(r["digit"] == int(v) for r, v in zip(answered, y[:40])) >= 38
    errors = _stderr_lines(out.stderr)
    assert len(errors) == len(HOSTILE_LINES) and all(e.startswith("digitpad: error:") for e in errors), errors
    assert "Traceback" not in out.stderr


def test_samples_import_names_the_bad_line_and_imports_nothing(cli_env, mnist_test_sample, tmp_path):
    x, y = mnist_test_sample
    lines = [json.dumps({**json.loads(_digit_line(img)), "label": int(l)}) for img, l in zip(x[:5], y[:5])]
    for hostile in HOSTILE_LINES:
        doc = hostile if hostile.startswith("[") else json.dumps({**json.loads(hostile), "label": 3})
        (tmp_path / "in.jsonl").write_text("\n".join(lines[:2] + [doc] + lines[2:]) + "\n")
        out = run_cli(["samples", "import", str(tmp_path / "in.jsonl"), "--store", str(tmp_path / "s.sqlite")],
                      cli_env)
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr[-500:]
        assert f"in.jsonl:3" in out.stderr
    out = run_cli(["samples", "stats", "--json", "--store", str(tmp_path / "s.sqlite")], cli_env)
    assert json.loads(out.stdout)["total"] == 0


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 8, 9)) + chunk(b"IEND", b""))


def test_huge_pictures_are_refused_with_their_size(cli_env, shipped_model, tmp_path):
    for side in (20_000, 60_000):
        (tmp_path / f"huge{side}.png").write_bytes(_png_claiming(side, side))
    out = run_cli(["predict", str(tmp_path / "huge20000.png"), str(tmp_path / "huge60000.png"),
                   str(ROOT / "resources" / "samples" / "7_ink_111.png")], cli_env, timeout=120)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert "20,000 x 20,000 pixels" in rows[0]["error"] and "60,000 x 60,000" in rows[1]["error"]
    assert rows[2]["digit"] == 7 and out.returncode == 1


def test_output_that_cannot_be_written_is_one_line(cli_env, shipped_model):
    sample = str(ROOT / "resources" / "samples" / "7_ink_111.png")
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "digitpad", "predict", sample], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 1 and _stderr_lines(done.stderr) == ["digitpad: error: cannot write (No space left "
                                                                    "on device)"], done.stderr
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", "-"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""  # empty input, empty answer
    done = subprocess.run([sys.executable, "-c", "import os, sys; os.close(0); sys.stdin = None; "
                           "from digitpad.cli import main; sys.exit(main(['predict', '-']))"],
                          capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 1 and "standard input is closed" in done.stderr and "Traceback" not in done.stderr


def test_a_normal_run_prints_nothing_on_stderr(cli_env, shipped_model):
    """TensorFlow's own start-up lines do not reach the user."""
    out = run_cli(["predict", str(ROOT / "resources" / "samples" / "7_ink_111.png")], cli_env)
    assert out.returncode == 0 and out.stderr == "", out.stderr


@pytest.mark.parametrize("sidecar, key", [('{"preprocessing": "yes"}', "preprocessing"),
                                          ('{"metrics": [1, 2, 3]}', "metrics"),
                                          ('{"thresholds": "abc"}', "thresholds"), ('{"training": 5}', "training")])
def test_a_malformed_sidecar_is_one_line(cli_env, shipped_model, tmp_path, sidecar, key):
    model = tmp_path / "m.keras"
    model.write_bytes((shipped_model.parent / "paper.keras").read_bytes())
    (tmp_path / "m.json").write_text(sidecar)
    for args in (["predict", "--model", str(model), str(ROOT / "resources" / "samples" / "7_ink_111.png")],
                 ["evaluate", str(model), "--data", str(ROOT / "resources" / "samples")]):
        out = run_cli(args, cli_env)
        assert out.returncode == 1 and out.stdout == "", out.stdout
        assert _stderr_lines(out.stderr) == [f"digitpad: error: {tmp_path / 'm.json'}: model sidecar: '{key}' must "
                                             f"be a JSON object, got {type(json.loads(sidecar)[key]).__name__}"]


def test_evaluating_on_an_empty_set_is_an_error(cli_env, shipped_model, tmp_path):
    np.savez(tmp_path / "empty.npz", x=np.zeros((0, 28, 28), np.uint8), y=np.zeros(0, np.uint8))
    out = run_cli(["evaluate", "--data", str(tmp_path / "empty.npz")], cli_env)
    assert out.returncode == 1 and "no labelled digits" in out.stderr and "nan" not in out.stdout


def test_a_savedmodel_runs_only_behind_the_trust_switch(cli_env, tmp_path):
    """A model that writes a file whenever it runs: refused without --trust-model, nothing written."""
    script = f"""
import tensorflow as tf
class Hostile(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 28, 28, 1], tf.float32, name="image")])
    def serve(self, image):
        tf.io.write_file({str(tmp_path / 'pwned.txt')!r}, "hello")
        return {{"digit": tf.nn.softmax(tf.zeros([tf.shape(image)[0], 10]))}}
m = Hostile()
tf.saved_model.save(m, {str(tmp_path / 'hostile')!r}, signatures={{"serving_default": m.serve}})
"""
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, env=cli_env, timeout=300)
    sample = str(ROOT / "resources" / "samples" / "7_ink_111.png")
    out = run_cli(["predict", "--model", str(tmp_path / "hostile"), sample], cli_env)
    assert out.returncode == 1 and "--trust-model" in out.stderr and not (tmp_path / "pwned.txt").exists()
    out = run_cli(["predict", "--trust-model", "--model", str(tmp_path / "hostile"), sample], cli_env)
    assert out.returncode == 0 and (tmp_path / "pwned.txt").read_text() == "hello"


def test_a_named_ink_file_with_nothing_in_it_is_one_line_and_the_rest_is_answered(cli_env, shipped_model, tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n  \n")
    sample = str(ROOT / "resources" / "samples" / "7_ink_111.png")
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(tmp_path / "empty.jsonl"), sample],
                          capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 1
    assert _stderr_lines(done.stderr) == [f"digitpad: error: {tmp_path / 'empty.jsonl'}: no inks in this file (it is empty "
                                          "or holds only blank lines)"], done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert "error" in rows[0] and rows[1]["digit"] == 7


def test_an_empty_ink_file_found_in_a_folder_is_passed_over(cli_env, shipped_model, tmp_path):
    """Only a file the user named is a mistake when empty: a folder's is one of many files."""
    folder = tmp_path / "inks"
    folder.mkdir()
    (folder / "a_empty.jsonl").write_text("")
    (folder / "b.png").write_bytes((ROOT / "resources" / "samples" / "7_ink_111.png").read_bytes())
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", str(folder)],
                          capture_output=True, text=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["digit"] for r in rows] == [7]


@pytest.mark.parametrize("command", ["finetune", "train"])
def test_a_missing_store_is_refused_before_tensorflow_is_loaded(cli_env, tmp_path, command):
    code = ("import sys; from digitpad.cli import main; rc = main([%r, '--store', %r, '-o', %r]); "
            "print('tensorflow' in sys.modules, rc)" % (command, str(tmp_path / "nope.sqlite"), str(tmp_path / "m.keras")))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, cwd=ROOT,
                          timeout=300)
    assert done.stdout.split() == ["False", "1"], (done.stdout, done.stderr)
    assert "no such sample store" in done.stderr and not (tmp_path / "nope.sqlite").exists()


@pytest.mark.parametrize("command, outputs", [("finetune", ["-o", "{file}/m.keras"]),
                                              ("finetune", ["-o", "{tmp}/m.keras", "--json", "{tmp}"]),
                                              ("train", ["-o", "{file}/m.keras"])])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(cli_env, tmp_path, command, outputs):
    """Before: a fine-tuning ran for minutes, then could not save what it had made."""
    from digitpad.core.sample_store import SampleStore

    (tmp_path / "file").write_text("a file, so nothing can be made below it")
    SampleStore(tmp_path / "s.sqlite").close()
    argv = [command, "--store", str(tmp_path / "s.sqlite")] + [a.format(file=tmp_path / "file", tmp=tmp_path)
                                                                for a in outputs]
    code = f"import sys; from digitpad.cli import main; rc = main({argv!r}); print('tensorflow' in sys.modules, rc)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, cwd=ROOT,
                          timeout=300)
    assert done.stdout.split() == ["False", "1"], (done.stdout, done.stderr)
    assert _stderr_lines(done.stderr) == [done.stderr.strip()] and "cannot write" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "s.sqlite"]


def test_devices_and_pipes_behind_an_input_name_are_refused_at_once(cli_env, shipped_model, tmp_path):
    """A size check cannot see ``/dev/zero`` (its size is 0): it would be read until memory ran
    out, and a FIFO would block forever."""
    import os

    (tmp_path / "zero.png").symlink_to("/dev/zero")
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")
    (tmp_path / "zero.keras").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.png")
    commands = [["predict", str(tmp_path / "zero.png"), str(tmp_path / "zero.jsonl"), str(tmp_path / "pipe.png")],
                ["predict", "--model", str(tmp_path / "zero.keras"), str(ROOT / "resources/samples/3_ink_112.png")],
                ["evaluate", "--data", str(tmp_path / "zero.jsonl")],
                ["samples", "import", "--store", str(tmp_path / "s.sqlite"), str(tmp_path / "pipe.png")]]
    for argv in commands:
        out = run_cli(argv, cli_env, timeout=60)
        errors = _stderr_lines(out.stderr)
        assert out.returncode == 1 and "Traceback" not in out.stderr, (argv, out.stderr)
        assert all("not a regular file" in e for e in errors if e.startswith("digitpad: error:")), errors
    rows = [json.loads(line) for line in run_cli(commands[0], cli_env, timeout=60).stdout.splitlines()]
    assert [r["source"] for r in rows] == commands[0][1:] and all("error" in r for r in rows)


def test_a_zip_bomb_named_keras_is_refused_before_it_is_unpacked(cli_env, tmp_path):
    import zipfile

    picture = str(ROOT / "resources/samples/3_ink_112.png")
    with zipfile.ZipFile(ROOT / "models/digitpad-default.keras") as src:
        members = {n: src.read(n) for n in src.namelist()}
    swollen = {"model.weights.h5": b"\0" * 100_000_000, "config.json": members["config.json"] + b" " * 60_000_000}
    for swell, data in swollen.items():
        bomb = tmp_path / f"{swell}.keras"
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
            for member in members:
                z.writestr(member, data if member == swell else members[member])
        assert bomb.stat().st_size < 10_000_000
        out = run_cli(["predict", "--model", str(bomb), picture], cli_env, timeout=60)
        assert out.returncode == 1 and out.stdout == "", out.stderr
        assert len(_stderr_lines(out.stderr)) == 1
        assert out.stderr.startswith(f"digitpad: error: {bomb}: not a plausible model: its {swell}"), out.stderr


def test_ctrl_c_while_the_commands_load_is_one_line(monkeypatch, capsys):
    from digitpad import cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["samples", "stats"]) == 130
    assert capsys.readouterr().err == "digitpad: error: interrupted\n"


@pytest.mark.parametrize("argv, says", [
    (["predict", "--batch-size", "0", "x.png"], "--batch-size: must be at least 1, not 0"),
    (["finetune", "--epochs", "-1"], "--epochs: must be at least 1, not -1"),
    (["train", "--variants", "two"], "--variants: not a whole number: 'two'")])
def test_counts_that_make_no_sense_are_refused_by_the_parser(argv, says, capsys):
    from digitpad import cli

    with pytest.raises(SystemExit) as done:
        cli.main(argv)
    assert done.value.code == 2 and says in capsys.readouterr().err


def test_a_picture_piped_in_is_read_as_a_picture_and_a_broken_one_is_one_line(cli_env, shipped_model, tmp_path):
    """Before: a PNG on standard input was read as text, an error line for each of its "lines"."""
    picture = ROOT / "resources" / "samples" / "7_ink_111.png"
    by_name = json.loads(run_cli(["predict", str(picture)], cli_env).stdout)
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", "-"], input=picture.read_bytes(),
                          capture_output=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 0 and done.stderr == b""
    assert json.loads(done.stdout) == {**by_name, "source": "-"}
    broken = picture.read_bytes()[:60]  # a PNG's header and no pictures: OpenCV's own log stays quiet
    done = subprocess.run([sys.executable, "-m", "digitpad", "predict", "-"], input=broken,
                          capture_output=True, env=cli_env, cwd=ROOT, timeout=300)
    assert done.returncode == 1 and len(done.stdout.splitlines()) == 1
    assert done.stderr.decode().splitlines() == ["digitpad: error: -: not a readable image (unknown format or "
                                                 "corrupt data)"]

"""The shipped model on real pen handwriting by writers no model has seen: UNIPEN's ``test``
writers, through ``digitpad predict`` as a user runs it."""
import json

import pytest

from support import run_cli

#: Measured with `digitpad predict` on the 3,155 test inks when the model was shipped: 97.65%
#: (README). The issue's target, 98.0%, is not reached yet.
ZERO_SHOT_FLOOR = 0.975


@pytest.mark.slow
def test_shipped_model_reads_unseen_unipen_writers(cli_env, shipped_model, unipen_file, tmp_path):
    records = [json.loads(line) for line in unipen_file.read_text().splitlines() if line.strip()]
    test = [r for r in records if r["part"] == "test"]
    assert len(test) == 3155 and {r["part"] for r in records} == {"train", "tune", "test"}
    (tmp_path / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in test))
    out = run_cli(["predict", str(tmp_path / "test.jsonl")], cli_env)
    assert out.returncode == 0, out.stderr[-2000:]
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["source"] for a in answers] == [f"{tmp_path / 'test.jsonl'}:{i}" for i in range(1, len(test) + 1)]
    right = sum(a["digit"] == r["label"] for a, r in zip(answers, test))
    assert right / len(test) >= ZERO_SHOT_FLOOR, f"{right / len(test):.4f}"

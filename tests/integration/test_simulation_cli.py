"""`hotline simulate`: candidate checked first, side-by-side table, CSV and HTML written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli

CANDIDATE = """
rules:
  - name: vip
    when: {grade: vip}
    steps:
      - {target: skilled}
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}")
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def simulate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["simulate", *args])
    return result.exit_code, result.output


def test_an_invalid_candidate_is_refused_with_rule_and_line(env: Path) -> None:
    bad = env / "bad.yaml"
    bad.write_text("rules:\n  - name: fast\n    steps:\n      - {target: teem}\n")
    code, out = simulate("--policy", str(bad), "--synthetic-rate", "100")
    assert code == 2, out
    assert "rule 'fast'" in out and "unknown target 'teem'" in out and "line 2" in out
    bad.write_text("rules: [\n")
    code, out = simulate("--policy", str(bad), "--synthetic-rate", "100")
    assert code == 2 and "not valid YAML" in out, out
    good = env / "good.yaml"
    good.write_text(CANDIDATE)
    code, out = simulate("--policy", str(good))
    assert code == 2 and "--from" in out, out
    code, out = simulate("--policy", str(good), "--from", "2026-11-02")
    assert code == 2 and "no contacts recorded" in out, out
    code, out = simulate("--policy", str(good), "--from", "yesterday")
    assert code == 2 and "YYYY-MM-DD" in out, out


def test_a_synthetic_run_prints_both_and_writes_the_report(env: Path) -> None:
    policy = env / "candidate.yaml"
    policy.write_text(CANDIDATE)
    roster = env / "roster.csv"
    roster.write_text(
        "agent,start,end,breaks,skills,senior\n"
        + "".join(f"t{i},00:00,04:00,01:00-01:15,general:2,{'yes' if i == 0 else ''}\n"
                  for i in range(6))
    )  # fmt: skip
    out_dir = env / "report"
    args = ["--policy", str(policy), "--synthetic-rate", "120", "--synthetic-aht", "120"]
    code, out = simulate(*args, "--hours", "3", "--agents", str(roster), "--out", str(out_dir))
    assert code == 0, out
    assert "roster: from the file, 6 shifts" in out
    assert "current" in out and "candidate" in out and "service level" in out
    assert "grade vip" in out and "longest VIP wait" in out
    html = (out_dir / "simulation.html").read_text()
    assert html.count("<svg") == 3
    csv = (out_dir / "simulation.csv").read_text()
    assert csv.startswith("section,group,figure,current,candidate,difference")

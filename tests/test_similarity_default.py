"""``musiccluster cluster`` uses the representation that measures best, and says so (issue 15 item 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from musiccluster.cli import main
from musiccluster.organize.options import BENCHMARK, DEFAULT_METHOD, benchmark_line
from test_library import music, write_music  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[1]


def test_the_figures_are_the_committed_benchmark_and_the_default_is_its_best():
    record = json.loads((ROOT / "benchmarks" / "similarity.json").read_text(encoding="utf-8"))
    stand_in = next(b for b in record["benchmarks"] if b["corpus"].startswith("default stand-in"))
    for method, fig in BENCHMARK.items():
        row = stand_in["scores"][fig["row"]]
        p5 = row["precision"]["5"]
        assert fig["p5"] == pytest.approx(p5["mean"], abs=5e-4), method
        assert fig["p5_interval"] == pytest.approx([p5["lo"], p5["hi"]], abs=5e-4), method
        assert fig["ari_k10"] == pytest.approx(row["ari"], abs=5e-4), method
    assert DEFAULT_METHOD == max(BENCHMARK, key=lambda m: BENCHMARK[m]["p5"])
    # its analysis costs no more than twice musly's per clip, as measured
    cost = stand_in["cost_s"]
    assert cost[BENCHMARK[DEFAULT_METHOD]["row"]] <= 2 * cost["musly"]


def test_help_names_the_default_and_its_figure(capsys):
    with pytest.raises(SystemExit):
        main(["cluster", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"{DEFAULT_METHOD} (default; {benchmark_line(DEFAULT_METHOD)}" in text
    assert "musly" in text and benchmark_line("vae") in text


def test_cluster_without_method_uses_the_default_and_records_its_figure(music, tmp_path):  # noqa: F811
    root, good, _, _ = music
    out = tmp_path / "out"
    assert main(["cluster", str(root), "--k", "2", "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["method"] == DEFAULT_METHOD
    assert summary["benchmark"]["figure"] == benchmark_line(DEFAULT_METHOD)
    assert summary["benchmark"]["p5"] == BENCHMARK[DEFAULT_METHOD]["p5"]
    assert main(["cluster", str(root), "--k", "2", "--out", str(tmp_path / "o2"), "--quiet",
                 "--scheduler", "tcp://127.0.0.1:9"]) == 2      # timbre is local: refused, not ignored

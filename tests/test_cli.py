"""The command line: python -m analysis ..."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.__main__ import main
from analysis.reliance import INDEX_CAVEAT

GOOD = (
    "time,region,reports\n2017-05-03T20:00Z,BRA,5\n2017-05-03T20:01Z,BRA,7\n"
    "2017-05-03T20:04Z,BRA,1\n2017-05-03T20:00Z,IND,3\n2017-05-03T20:01Z,IND,4\n"
)


def test_validate_prints_a_summary(write, capsys):
    path = write("r.csv", GOOD)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid report frame (csv)" in out
    assert "BRA, IND" in out
    assert "total reports  20" in out
    assert "bin width      1min" in out
    assert "2 missing bins in 1 series; largest 2min" in out


def test_validate_json(write, capsys):
    path = write("r.csv", GOOD)
    assert main(["validate", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["total_reports"] == 20
    assert summary["regions"] == ["BRA", "IND"]
    assert summary["bin_widths"] == ["1min"]
    assert {s["region"]: s["missing_bins"] for s in summary["by_series"]} == {"BRA": 2, "IND": 0}


def test_validate_bad_file_exits_1_with_the_error(write, capsys):
    path = write("bad.csv", "time,region,reports\n2017-05-03T20:00Z,BRA,-1\n")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    for fragment in (str(path), "negative", "line 2"):
        assert fragment in err


def test_validate_missing_file_exits_1(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_module_entry_point_runs(write):
    path = write("r.csv", GOOD)
    done = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "valid report frame" in done.stdout


def test_detect_prints_windows_and_json(tmp_path, capsys):
    from analysis import scenarios, simulate

    sim = simulate(scenarios.regional(days_before=4, regions=("IND", "ITA", "BRA")), 3)
    path = tmp_path / "r.parquet"
    sim.reports.to_parquet(path)
    assert main(["detect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "outage windows (UTC" in out
    assert "IND" in out
    assert "BRA" not in out  # Brazil had no outage in this scenario
    assert main(["detect", str(path), "--json", "--level", "0.8"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["level"] == 0.8
    regions = {w["region"] for w in payload["windows"]}
    assert {"IND", "ITA"} <= regions
    assert all(w["start_low"] <= w["start"] <= w["start_high"] for w in payload["windows"])


def test_detect_keeps_a_rise_in_one_region_alone_when_asked(tmp_path, capsys, one_region_hit):
    path = tmp_path / "r.parquet"
    one_region_hit[0].to_parquet(path)
    assert main(["detect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["windows"] == []
    assert main(["detect", str(path), "--json", "--min-regions", "1"]) == 0
    windows = json.loads(capsys.readouterr().out)["windows"]
    assert {w["region"] for w in windows} - {"WLD"} == {"IND"}


def test_detect_bad_file_exits_1(write, capsys):
    path = write("bad.csv", "time,region,reports\n2017-05-03T20:00Z,BRA,x\n")
    assert main(["detect", str(path)]) == 1
    assert "non-numeric" in capsys.readouterr().err


def test_impact_prints_regions_world_and_markets(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--scenario", "whatsapp_2017", "--seed", "4", "--freq", "15min",
                 "--days-before", "3", "--regions", "BRA,IND,NGA,DEU,USA,FRA,GBR,MEX",
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["impact", str(out / "reports.csv")]) == 0
    text = capsys.readouterr().out
    assert "impact in 8 regions" in text
    assert "Outage 2017-05-03 " in text
    assert "reliance_index" in text
    assert "excess_per_million_users" in text
    assert main(["impact", str(out / "reports.csv"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {r["region"] for r in doc["regions"]} == {"BRA", "IND", "NGA", "DEU", "USA", "FRA",
                                                      "GBR", "MEX"}  # fmt: skip
    assert {m["metric"] for m in doc["markets"]} >= {"reliance_index"}


def test_simulate_writes_a_raw_log_that_aggregates_back(tmp_path, capsys):
    from analysis.logs import aggregate_reports, read_log

    out = tmp_path / "sim"
    assert main(["simulate", "--scenario", "regional", "--seed", "2", "--freq", "15min",
                 "--days-before", "1", "--regions", "IND,GBR", "--out", str(out), "--log",
                 "--scale", "3", "--quiet"]) == 0  # fmt: skip
    assert "part-00000.parquet" in capsys.readouterr().out
    reports = pd.read_parquet(out / "reports.parquet")
    counted = aggregate_reports(read_log(out / "log"), "15min", per_user="15min")
    assert counted["reports"].sum() == reports["reports"].sum()


@pytest.mark.slow
def test_aggregate_and_detect_on_a_local_dask_cluster(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--scenario", "regional", "--seed", "2", "--freq", "15min",
                 "--days-before", "3", "--regions", "IND,GBR,BRA", "--out", str(out), "--log",
                 "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    frame = tmp_path / "reports.parquet"
    assert main(["aggregate", str(out / "log"), "--out", str(frame), "--freq", "15min",
                 "--per-user", "15min", "--json"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["reports"] == int(pd.read_parquet(out / "reports.parquet")["reports"].sum())
    assert main(["detect", str(frame), "--json"]) == 0
    local = json.loads(capsys.readouterr().out)["windows"]
    assert main(["detect", str(frame), "--json", "--scheduler", "local"]) == 0
    assert json.loads(capsys.readouterr().out)["windows"] == local


FIXTURES = __import__("pathlib").Path(__file__).resolve().parent / "fixtures"


def test_detect_ranges_carry_the_date_when_they_leave_the_day(tmp_path, capsys):
    """Daily bins: a start interval from the evening before to the next morning once printed
    as "08:47-07:35"; each bound now carries its date when the interval leaves the day."""
    import numpy as np

    rng = np.random.default_rng(3)
    t = pd.date_range("2017-03-01", periods=70, freq="1D", tz="UTC")
    weekend = t.tz_convert("America/Sao_Paulo").day_of_week >= 5
    down = (t >= pd.Timestamp("2017-05-03", tz="UTC")) & (t < pd.Timestamp("2017-05-05", tz="UTC"))
    y = rng.poisson(5000 * np.where(weekend, 0.8, 1.0) * rng.gamma(50, 1 / 50, 70) * (1 + 2 * down))
    path = tmp_path / "daily.csv"
    pd.DataFrame({"time": t, "region": "BRA", "reports": y}).to_csv(path, index=False)
    assert main(["detect", str(path)]) == 0
    row = capsys.readouterr().out.splitlines()[-1]
    assert "2017-05-02 08:47-2017-05-03 07:35" in row
    assert "2017-05-04 12:26-2017-05-05 11:33" in row


def test_detect_shows_a_weak_baseline(capsys):
    """Two days of history before the outage day: the window is found and the table says
    that its baseline is weak (once it was only in the JSON)."""
    path = FIXTURES / "downdetector_15min.csv"
    assert main(["detect", str(path), "--tz", "America/Sao_Paulo"]) == 0
    out = capsys.readouterr().out
    assert "weak" in out.splitlines()[-2].split()  # the table's baseline column
    assert "Weak baseline in BRA: fewer than 3 days of history" in out


def test_naive_times_error_names_the_cli_flag(capsys):
    path = FIXTURES / "downdetector_15min.csv"
    assert main(["detect", str(path)]) == 1
    err = capsys.readouterr().err
    assert "pass --tz UTC or the zone they were recorded in" in err
    assert "tz='UTC'" not in err


def test_detect_finds_a_drop_in_an_ioda_signal_and_takes_kind(capsys):
    path = FIXTURES / "ioda_drop.json"
    assert main(["detect", str(path)]) == 0
    row = capsys.readouterr().out.splitlines()[-1].split()
    assert row[:2] == ["BRA", "level"]
    assert "20:02-20:07" in row
    assert "60%" in row
    assert main(["detect", str(path), "--kind", "reports"]) == 0  # read as counts: no rise
    assert "no outage found" in capsys.readouterr().out


def test_impact_of_an_index_gives_ratios_and_says_what_it_left_out(capsys):
    """A Trends index once came out as "affected users 125.7 M, cost US$ 1.3 M"."""
    path = FIXTURES / "trends_hourly.csv"
    assert main(["impact", str(path), "--tz", "America/Sao_Paulo"]) == 0
    out = capsys.readouterr().out
    assert "users exposed" not in out
    assert "US$" not in out
    assert "index: not estimated: users, per-user figures, user-hours and cost" in out
    assert INDEX_CAVEAT in out
    assert main(["impact", str(path), "--tz", "America/Sao_Paulo", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["regions"]
    assert (row["region"], row["kind"]) == ("BRA", "index")
    assert 3 < row["excess_ratio_low"] < row["excess_ratio"]  # searches rose many-fold
    assert row["users"] is None
    assert row["cost_usd_exposed"] is None


def test_one_json_encoder_for_every_command():
    """detect wrote what json cannot with default=float and impact with default=str, so one
    value type came out as a number from one command and as text from the other."""
    import numpy as np

    from analysis.__main__ import json_text

    out = json.loads(json_text({"n": np.int64(3), "share": np.float32(0.5),
                                "flag": np.bool_(True), "gone": pd.NaT,
                                "at": pd.Timestamp("2017-05-03 20:05", tz="UTC"),
                                "took": pd.Timedelta("1h30min")}))  # fmt: skip
    assert out == {"n": 3, "share": 0.5, "flag": True, "gone": None,
                   "at": "2017-05-03T20:05:00+00:00", "took": "P0DT1H30M0S"}  # fmt: skip

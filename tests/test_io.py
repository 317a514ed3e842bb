"""Loading report files: every format, and a matrix of bad inputs with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis import ReportDataError, load_reports, sniff_format
from tests.conftest import make_frame

HEADER = "time,region,reports\n"
GOOD_ROW = "2017-05-03T20:00:00Z,BRA,5\n"
TRENDS = (
    "Category: All categories\n"
    "\n"
    "Time,whatsapp down: (Brazil),whatsapp down: (India),whatsapp down: (Worldwide)\n"
    "2017-05-03T19:00Z,0,<1,1\n"
    "2017-05-03T20:00Z,100,37,44\n"
    "2017-05-03T21:00Z,81,,30\n"
)
IODA = [
    {
        "entityType": "country",
        "entityCode": "BR",
        "from": 1493841600,
        "step": 300,
        "values": [10, None, 12, 400],
    },
    {
        "entityType": "country",
        "entityCode": "IN",
        "from": 1493841600,
        "step": 300,
        "values": [3, 4, 5, 90],
    },
]


# --------------------------------------------------------------------------- good inputs
def test_canonical_csv_is_sorted_typed_and_utc(write):
    path = write(
        "r.csv",
        HEADER + "2017-05-03T22:05:00+02:00,IND,3\n" + GOOD_ROW + "2017-05-03T20:01:00Z,BRA,7\n",
    )
    df = load_reports(path)
    assert list(df.columns) == ["time", "region", "reports"]
    assert str(df["time"].dt.tz) == "UTC"
    assert df["reports"].dtype == "int64"
    assert df["region"].tolist() == ["BRA", "BRA", "IND"]
    # the +02:00 offset is converted, not dropped
    assert df["time"].iloc[2] == pd.Timestamp("2017-05-03T20:05Z")


def test_service_column_and_extra_columns_are_kept(write):
    path = write(
        "s.csv",
        "time,region,reports,service,note\n"
        "2017-05-03T20:00Z,BRA,5,whatsapp,x\n2017-05-03T20:00Z,BRA,1,telegram,y\n",
    )
    df = load_reports(path)
    assert df["service"].tolist() == ["telegram", "whatsapp"]
    assert df["note"].tolist() == ["y", "x"]


def test_naive_times_accepted_with_tz(write):
    path = write("n.csv", HEADER + "2017-05-03 17:00,BRA,5\n")
    df = load_reports(path, tz="America/Sao_Paulo")
    assert df["time"].iloc[0] == pd.Timestamp("2017-05-03T20:00Z")


def test_utf8_bom_is_accepted(write):
    path = write("bom.csv", "\ufeff".encode() + (HEADER + GOOD_ROW).encode())
    assert load_reports(path)["reports"].tolist() == [5]


def test_semicolon_csv_with_sep(write):
    path = write("semi.csv", "time;region;reports\n2017-05-03T20:00Z;BRA;5\n")
    assert load_reports(path, sep=";")["reports"].tolist() == [5]


def test_gaps_stay_gaps(write):
    path = write(
        "g.csv", HEADER + GOOD_ROW + "2017-05-03T20:03:00Z,BRA,2\n2017-05-03T20:04:00Z,BRA,2\n"
    )
    assert len(load_reports(path)) == 3


def test_parquet_round_trip(tmp_path: Path):
    frame = make_frame(service="whatsapp")
    path = tmp_path / "r.parquet"
    frame.to_parquet(path)
    assert sniff_format(path) == "parquet"
    pd.testing.assert_frame_equal(
        load_reports(path),
        frame.sort_values(["service", "region", "time"]).reset_index(drop=True)[
            list(load_reports(path).columns)
        ],
    )


def test_wide_csv(write):
    path = write("wide.csv", "time,BRA,IND\n2017-05-03T20:00Z,5,1\n2017-05-03T20:01Z,,2\n")
    assert sniff_format(path) == "wide"
    df = load_reports(path)
    assert df.groupby("region")["reports"].sum().to_dict() == {"BRA": 5, "IND": 3}
    assert len(df) == 3  # the empty cell is a missing bin, not a zero


def test_trends_export(write):
    path = write("trends.csv", TRENDS)
    assert sniff_format(path) == "trends"
    df = load_reports(path)
    assert set(df["region"]) == {"BRA", "IND", "WLD"}
    bra = df[df["region"] == "BRA"]["reports"].tolist()
    assert bra == [0, 100, 81]
    ind = df[df["region"] == "IND"]["reports"].tolist()
    assert ind == [0, 37]  # "<1" read as 0; the empty cell is a gap
    assert load_reports(path, less_than_one=1).query("region == 'IND'")["reports"].iloc[0] == 1


def test_trends_with_several_terms_records_them_as_services(write):
    header = "Time,whatsapp: (Brazil),telegram: (Brazil)\n"
    path = write("t2.csv", "Category: All categories\n\n" + header + "2017-05-03T20:00Z,90,12\n")
    df = load_reports(path)
    assert sorted(df["service"]) == ["telegram", "whatsapp"]


def test_ioda_json(write):
    path = write("ioda.json", json.dumps(IODA))
    df = load_reports(path)
    assert sniff_format(path) == "ioda"
    assert df.groupby("region")["reports"].sum().to_dict() == {"BRA": 422, "IND": 102}
    assert df["time"].min() == pd.Timestamp("2017-05-03T20:00Z")
    assert len(df) == 7  # the null is a gap


def test_ioda_envelope(write):
    path = write("env.json", json.dumps({"data": [IODA]}))
    assert len(load_reports(path)) == 7


# ------------------------------------------------------------------ the bad-input matrix
def _truncated_parquet(tmp_path: Path) -> Path:
    full = tmp_path / "full.parquet"
    make_frame(periods=200).to_parquet(full)
    path = tmp_path / "trunc.parquet"
    path.write_bytes(full.read_bytes()[:300])
    return path


BAD = [
    # id, file name, content, options, error, fragments expected in the message
    ("empty", "e.csv", "", {}, ReportDataError, ["empty file"]),
    ("whitespace only", "w.csv", "\n\n  \n", {}, ReportDataError, ["empty file"]),
    ("header only", "h.csv", HEADER, {}, ReportDataError, ["no data rows"]),
    (
        "missing column",
        "m.csv",
        "time,region\n2017-05-03T20:00Z,BRA\n",
        {},
        ReportDataError,
        ["'reports' is missing"],
    ),
    (
        "misspelled column",
        "ms.csv",
        "time,region,reprots\n2017-05-03T20:00Z,BRA,5\n",
        {},
        ReportDataError,
        ["'reports' is missing", "did you mean 'reprots'"],
    ),
    (
        "unparseable time",
        "t.csv",
        HEADER + GOOD_ROW + "yesterday evening,BRA,4\n",
        {},
        ReportDataError,
        ["column 'time'", "unparseable", "line 3", "yesterday evening"],
    ),
    (
        "naive time",
        "nv.csv",
        HEADER + "2017-05-03 20:00,BRA,5\n",
        {},
        ReportDataError,
        ["column 'time'", "naive", "tz=", "line 2"],
    ),
    (
        "mixed naive and aware",
        "mx.csv",
        HEADER + GOOD_ROW + "2017-05-03 20:01,BRA,5\n",
        {},
        ReportDataError,
        ["naive", "line 3"],
    ),
    (
        "duplicate bin",
        "d.csv",
        HEADER + GOOD_ROW + "2017-05-03T20:01Z,BRA,1\n" + GOOD_ROW,
        {},
        ReportDataError,
        ["column 'time'", "duplicate", "line 2", "line 4"],
    ),
    (
        "negative count",
        "neg.csv",
        HEADER + GOOD_ROW + "2017-05-03T20:01Z,BRA,-3\n",
        {},
        ReportDataError,
        ["column 'reports'", "negative", "line 3", "reports='-3'"],
    ),
    (
        "fractional count",
        "f.csv",
        HEADER + "2017-05-03T20:00Z,BRA,2.5\n",
        {},
        ReportDataError,
        ["column 'reports'", "fractional", "line 2"],
    ),
    (
        "NaN count",
        "nan.csv",
        HEADER + "2017-05-03T20:00Z,BRA,NaN\n",
        {},
        ReportDataError,
        ["column 'reports'", "line 2"],
    ),
    (
        "empty count",
        "ec.csv",
        HEADER + "2017-05-03T20:00Z,BRA,\n",
        {},
        ReportDataError,
        ["column 'reports'", "missing counts", "line 2"],
    ),
    (
        "non-numeric count",
        "nn.csv",
        HEADER + GOOD_ROW + "2017-05-03T20:01Z,BRA,lots\n",
        {},
        ReportDataError,
        ["column 'reports'", "non-numeric", "line 3", "'lots'"],
    ),
    (
        "int64 overflow",
        "o.csv",
        HEADER + "2017-05-03T20:00Z,BRA,9223372036854775808\n",
        {},
        ReportDataError,
        ["column 'reports'", "int64", "line 2"],
    ),
    (
        "mixed bin widths",
        "mw.csv",
        HEADER + "2017-05-03T20:00Z,BRA,1\n2017-05-03T20:05Z,BRA,1\n"
        "2017-05-03T20:10Z,BRA,1\n2017-05-03T20:12Z,BRA,1\n",
        {},
        ReportDataError,
        [
            "column 'time'",
            "mixed bin widths",
            "region=BRA",
            "smallest step 0 days 00:02:00",
            "line 3",
        ],
    ),
    (
        "unknown region",
        "u.csv",
        HEADER + GOOD_ROW + "2017-05-03T20:00Z,XYZ,1\n",
        {},
        ReportDataError,
        ["column 'region'", "XYZ", "line 3"],
    ),
    (
        "lower-case region",
        "lc.csv",
        HEADER + "2017-05-03T20:00Z,bra,1\n",
        {},
        ReportDataError,
        ["column 'region'", "'bra' -> 'BRA'"],
    ),
    (
        "missing region",
        "mr.csv",
        HEADER + "2017-05-03T20:00Z,,1\n",
        {},
        ReportDataError,
        ["column 'region'", "missing region", "line 2"],
    ),
    (
        "non-UTF-8 bytes",
        "latin.csv",
        (HEADER + "2017-05-03T20:00Z,BRA,5\n").encode()
        + "2017-05-03T20:01Z,BRA,5 caf\xe9\n".encode("latin-1"),
        {},
        ReportDataError,
        ["not UTF-8", "line 3"],
    ),
    (
        "wrong delimiter",
        "semi.csv",
        "time;region;reports\n2017-05-03T20:00Z;BRA;5\n",
        {},
        ReportDataError,
        ["delimited by ';'", "sep=';'"],
    ),
    (
        "ragged row",
        "rag.csv",
        HEADER + GOOD_ROW + "2017-05-03T20:01Z,BRA,5,9,9\n",
        {},
        ReportDataError,
        ["malformed CSV"],
    ),
    (
        "truncated parquet",
        None,
        _truncated_parquet,
        {},
        ReportDataError,
        ["not a readable Parquet file"],
    ),
    (
        "invalid JSON",
        "bad.json",
        '[{"entityCode": "BR",',
        {},
        ReportDataError,
        ["invalid JSON at line"],
    ),
    (
        "JSON of the wrong shape",
        "shape.json",
        json.dumps({"series": {"BR": [1, 2]}}),
        {},
        ReportDataError,
        ["wrong shape", "entityCode"],
    ),
    (
        "JSON series lacking step",
        "nostep.json",
        json.dumps([{"entityCode": "BR", "from": 0, "values": [1]}]),
        {},
        ReportDataError,
        ["series 0 lacks ['step']"],
    ),
    (
        "JSON unknown country",
        "uc.json",
        json.dumps([{**IODA[0], "entityCode": "QQ"}]),
        {},
        ReportDataError,
        ["'QQ'", "entityCode"],
    ),
    (
        "JSON fractional value read as report counts",
        "fr.json",
        json.dumps([{**IODA[0], "values": [1, 2.5]}]),
        {"kind": "reports"},
        ReportDataError,
        ["fractional", "series 0 value 1"],
    ),
    (
        "wide duplicate region columns",
        "wd.csv",
        "time,BRA,IND,BRA\n2017-05-03T20:00Z,1,2,3\n",
        {},
        ReportDataError,
        ["duplicate region columns", "BRA"],
    ),
    (
        "wide region named twice",
        "wn.csv",
        "time,BRA,Brazil\n2017-05-03T20:00Z,1,2\n",
        {},
        ReportDataError,
        ["'BRA' and 'Brazil'"],
    ),
    (
        "wide unknown region column",
        "wu.csv",
        "time,BRA,Atlantis\n2017-05-03T20:00Z,1,2\n",
        {},
        ReportDataError,
        ["column 'Atlantis'", "not a region"],
    ),
    (
        "wide negative",
        "wneg.csv",
        "time,BRA\n2017-05-03T20:00Z,1\n2017-05-03T20:01Z,-1\n",
        {},
        ReportDataError,
        ["column 'BRA'", "negative", "line 3"],
    ),
    (
        "trends unknown place",
        "tu.csv",
        "Category: All categories\n\nTime,x: (Narnia)\n2017-05-03T20:00Z,1\n",
        {},
        ReportDataError,
        ["'Narnia'"],
    ),
    (
        "trends naive time",
        "tn.csv",
        "Category: All categories\n\nTime,x: (Brazil)\n2017-05-03T20,1\n",
        {},
        ReportDataError,
        ["naive", "line 4"],
    ),
    (
        "unknown time zone",
        "tz.csv",
        HEADER + "2017-05-03 20:00,BRA,5\n",
        {"tz": "Mars/Base"},
        ReportDataError,
        ["Mars/Base"],
    ),
    (
        "NaT and now as times",
        "nat.csv",
        HEADER + "NaT,BRA,1\nnow,BRA,2\n",
        {},
        ReportDataError,
        ["unparseable", "line 2", "line 3"],
    ),
    (
        "date-only times need tz",
        "day.csv",
        HEADER + "2017-05-03,BRA,1\n2017-05-04,BRA,2\n",
        {},
        ReportDataError,
        ["naive", "line 2"],
    ),
    (
        "IODA time out of range",
        "far.json",
        json.dumps([{**IODA[0], "from": 10**15}]),
        {},
        ReportDataError,
        ["outside the supported range", "series 0"],
    ),
    (
        "IODA datasource on some series only",
        "ds.json",
        json.dumps([{**IODA[0], "datasource": "gtr"}, IODA[1]]),
        {},
        ReportDataError,
        ["lack 'datasource'", "[1]"],
    ),
    ("missing path", "does-not-exist.csv", None, {}, FileNotFoundError, ["no such file"]),
    ("directory", "folder", "DIR", {}, IsADirectoryError, ["is a directory"]),
]


@pytest.mark.parametrize(
    ("name", "content", "options", "error", "fragments"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD],
)
def test_bad_input_gives_clear_error(
    tmp_path: Path, write, name, content, options, error, fragments
):
    if callable(content):
        path = content(tmp_path)
    elif content is None:
        path = tmp_path / name
    elif content == "DIR":
        path = tmp_path / name
        path.mkdir()
    else:
        path = write(name, content)
    with pytest.raises(error) as info:
        load_reports(path, **options)
    message = str(info.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_matrix_is_large_enough():
    assert len(BAD) >= 20


def test_error_carries_structured_fields(write):
    path = write("neg.csv", HEADER + GOOD_ROW + "2017-05-03T20:01Z,BRA,-3\n")
    with pytest.raises(ReportDataError) as info:
        load_reports(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.source, err.column, err.n_rows) == (str(path), "reports", 1)
    assert err.rows[0].startswith("line 3")


def test_unknown_format_name(write):
    path = write("r.csv", HEADER + GOOD_ROW)
    with pytest.raises(ValueError, match="format must be"):
        load_reports(path, format="xlsx")


def test_date_only_times_are_local_dates(write):
    path = write("trends_day.csv", "Category: All categories\n\nDay,whatsapp: (Brazil)\n"
                 "2017-05-03,10\n2017-05-04,<1\n")  # fmt: skip
    df = load_reports(path, tz="America/Sao_Paulo")
    assert df["time"].tolist() == [
        pd.Timestamp("2017-05-03T03:00Z"),
        pd.Timestamp("2017-05-04T03:00Z"),
    ]


def test_ioda_values_are_a_level_and_may_be_fractional(write):
    path = write("lv.json", json.dumps([{**IODA[0], "values": [1, 2.5]}]))
    frame = load_reports(path)
    assert frame["reports"].tolist() == [1.0, 2.5]
    assert set(frame["kind"]) == {"level"}

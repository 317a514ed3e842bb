"""The reference data: the country table, the outage catalogue and their provenance."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from analysis import ReportDataError, iso3_codes, load_countries, load_events, validate_reports
from analysis.io import CONTINENTS, COUNTRY_COLUMNS
from analysis.users import load_service_use

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
#: UN World Population Prospects 2017: "almost 7.6 billion" in June 2017 (SOURCES.md).
UN_WORLD_POPULATION_2017 = 7.6e9


@pytest.fixture(scope="module")
def countries() -> pd.DataFrame:
    return load_countries()


def test_about_160_unique_codes_that_the_loader_accepts(countries):
    assert 150 <= len(countries) <= 175
    assert countries["iso3"].is_unique
    assert set(countries["iso3"]) <= iso3_codes()
    one_bin = pd.DataFrame(
        {"time": pd.Timestamp("2017-05-03T20:00Z"), "region": countries["iso3"], "reports": 0}
    )
    assert len(validate_reports(one_bin)) == len(countries)


def test_every_zone_is_valid(countries):
    for zones in countries["zones"]:
        for zone in zones:
            ZoneInfo(zone)
    multi = countries.set_index("iso3")["zones"]
    assert "America/Manaus" in multi["BRA"]
    assert multi["IND"] == ("Asia/Kolkata",)


def test_population_sane_and_world_total_near_un_figure(countries):
    population = countries["population"]
    assert population.notna().all()
    assert population.between(900_000, 1_500_000_000).all()
    total = population.sum()
    assert abs(total / UN_WORLD_POPULATION_2017 - 1) < 0.10
    by_code = countries.set_index("iso3")["population"]
    assert by_code["CHN"] > by_code["IND"] > by_code["USA"] > by_code["IDN"] > by_code["BRA"]


@pytest.mark.parametrize(
    ("code", "market"),
    [("BRA", "developing"), ("IND", "developing"), ("NGA", "developing"),
     ("USA", "developed"), ("DEU", "developed"), ("JPN", "developed")],
)  # fmt: skip
def test_market_classes(countries, code, market):
    assert countries.set_index("iso3").loc[code, "market"] == market


def test_every_inhabited_continent_present(countries):
    assert set(countries["continent"]) == set(CONTINENTS)


def test_shares_are_percentages_and_missing_values_are_explicit(countries):
    assert countries["internet_share"].between(0, 100).all()
    assert countries["gni_per_capita_usd"].isna().sum() == countries["gni_year"].isna().sum()


def test_every_use_figure_has_its_source_and_a_quote_where_read_in_a_page():
    use = load_service_use()
    assert use["url"].str.startswith("http").all()
    assert use["publisher"].ne("").all()
    assert use["definition"].ne("").all()
    read_in_a_page = use[~use["publisher"].str.contains("GlobalWebIndex")]
    assert read_in_a_page["quote"].ne("").all()
    assert use.loc[use["role"] == "not used", "note"].ne("").all()
    # every quoted percentage appears in its own quote
    shares = read_in_a_page[read_in_a_page["base"] != "persons"]
    words = {3: "|three"}  # "just three per cent in the US"
    quoted = [f"{v:g}".replace(".", "[.,]") + words.get(v, "") for v in shares["value"]]
    assert all(re.search(q, text) for q, text in zip(quoted, shares["quote"], strict=True))


def test_every_column_documented_in_sources():
    sources = (DATA / "reference" / "SOURCES.md").read_text()
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", sources, re.M))
    assert set(COUNTRY_COLUMNS) <= documented


def test_checksums_in_data_readme():
    readme = (DATA / "README.md").read_text()
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.M)
    assert rows, "no checksum rows found"
    for name, expected in rows:
        actual = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert actual == expected, f"data/{name} changed: update data/README.md ({actual})"
    listed = {name for name, _ in rows}
    shipped = {
        str(p.relative_to(DATA))
        for p in DATA.rglob("*")
        if p.is_file() and p.suffix != ".md" and "simulated" not in p.parts
    }
    assert shipped == listed, "every data file needs a provenance row in data/README.md"


def test_events_catalogue(countries):
    events = load_events()
    assert len(events) >= 3
    starts = set(events["start_utc"].dt.strftime("%Y-%m-%d"))
    assert {"2017-05-03", "2021-10-04", "2022-10-25"} <= starts
    may = events[events["start_utc"].dt.strftime("%Y-%m-%d") == "2017-05-03"].iloc[0]
    # the sources' disagreement on the start (20:00 to 20:50 UTC) is kept
    assert may["start_utc_low"] == pd.Timestamp("2017-05-03T20:00Z")
    assert may["start_utc_high"] == pd.Timestamp("2017-05-03T20:50Z")
    assert (events["start_utc_low"] <= events["start_utc_high"]).all()
    assert events["source"].str.len().gt(10).all()


def test_bad_country_table_names_file_column_and_line(tmp_path):
    table = (DATA / "reference" / "countries.csv").read_text().splitlines()
    bad = tmp_path / "countries.csv"
    bad.write_text("\n".join([table[0], table[1].replace("Asia/Kabul", "Asia/Nowhere"),
                              *table[2:]]))  # fmt: skip
    with pytest.raises(
        ReportDataError, match=r"column 'timezone'.*line 2: timezone='Asia/Nowhere'"
    ):
        load_countries(bad)
    bad.write_text("\n".join([table[0], table[1], table[1], *table[2:]]))
    with pytest.raises(ReportDataError, match=r"column 'iso3': repeated codes.*line 2.*line 3"):
        load_countries(bad)


def test_events_agree_with_their_own_sources():
    """Five rows once disagreed with their sources (issue 14): the start is the first-listed
    source's, the end the restoration a source reports, the duration their difference."""
    events = load_events().set_index(load_events()["start_utc"].dt.strftime("%Y-%m-%d"))
    expected = {  # date: (start, end), UTC
        "2017-05-03": ("20:50", "22:20"),  # Business Insider 4:50 pm ET; Uganda back 1:20 am EAT
        "2017-11-03": ("07:30", "09:00"),  # Business Standard 1 pm IST; Ara: back from 10:00 CET
        "2019-07-03": ("14:00", "21:06"),  # Il Post 16:00 CEST; MediaNama: fixed 2:36 am IST
        "2021-03-19": ("17:30", "18:10"),  # Punch: 6:30 pm to 7:10 pm WAT
        "2021-10-04": ("15:39", "22:50"),  # Wikipedia: users served again by 22:50 UTC
    }
    for date, (start, end) in expected.items():
        row = events.loc[date]
        assert row["start_utc"].strftime("%H:%M") == start, date
        assert row["end_utc"].strftime("%H:%M") == end, date
    known = events.dropna(subset=["end_utc"])
    minutes = (known["end_utc"] - known["start_utc"]) / pd.Timedelta("1min")
    assert (known["duration"] / pd.Timedelta("1min") == minutes.round()).all()
    assert (events["start_utc_low"] <= events["start_utc"]).all()
    assert (events["start_utc"] <= events["start_utc_high"]).all()

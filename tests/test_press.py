"""Downdetector counts quoted by the press (analysis.press): loaded as quoted, and read for
what they can say."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.io import reference_dir
from analysis.press import load_press_counts, press_conclusion, press_count_table
from analysis.schema import ReportDataError


def test_counts_come_in_as_quoted():
    """The eight counts of FACTS.md: 25 October 2022 at about 07:50 UTC (UK 68,000,
    Singapore 19,000, South Africa 15,000; India over 11,000, no time) and 3 April 2024
    (UK 46,000, Brazil over 42,000, India 20,000, US at least 12,000)."""
    counts = load_press_counts().set_index(["event", "region"])["reports"]
    assert counts.sum() == 68_000 + 19_000 + 15_000 + 11_000 + 46_000 + 42_000 + 20_000 + 12_000
    assert counts[("2022-10-25 WhatsApp", "SGP")] == 19_000
    assert counts[("2024-04-03 WhatsApp", "BRA")] == 42_000
    times = load_press_counts().set_index(["event", "region"])["time_utc"]
    assert times[("2022-10-25 WhatsApp", "GBR")] == pd.Timestamp("2022-10-25 07:50", tz="UTC")
    assert pd.isna(times[("2022-10-25 WhatsApp", "IND")])


@pytest.mark.parametrize(
    ("value", "column", "problem"),
    [("-5", "reports", "line 3"), ("1.5", "reports", "line 3"), ("XXX", "region", "line 3")],
)
def test_a_bad_count_or_code_is_refused_with_file_column_and_line(tmp_path, value, column,
                                                                  problem):  # fmt: skip
    shipped = reference_dir("collected") / "downdetector_press_counts.csv"
    frame = pd.read_csv(shipped, dtype=str, keep_default_na=False)
    frame.loc[1, column] = value
    path = tmp_path / "counts.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ReportDataError) as err:
        load_press_counts(path)
    assert str(path) in str(err.value)
    assert f"'{column}'" in str(err.value)
    assert problem in str(err.value)


def test_per_user_counts_do_not_follow_the_reliance_story():
    """Per million WhatsApp users (2017 bases), a developed market has the most reports in
    both outages (Singapore in 2022, the United Kingdom in 2024), the opposite of the
    simulated reliance; the conclusion says so and that one count cannot rank reliance."""
    table = press_count_table(load_press_counts())
    singapore = table[(table["region"] == "SGP")].iloc[0]
    assert singapore["per_million_users"] == pytest.approx(19_000 / singapore["users"] * 1e6)
    assert singapore["per_million_users_low"] < singapore["per_million_users"]
    leaders = table.loc[table.groupby("event")["per_million_users"].idxmax()]
    assert leaders["region"].tolist() == ["SGP", "GBR"]
    assert set(leaders["market"]) == {"developed"}
    text = press_conclusion(table)
    assert "came from SGP (developed, 6,363 per million" in text
    assert "Both times a developed market leads" in text

"""Activity and awake profiles by local time (analysis.activity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.activity import AWAKE_SHARE, activity, awake_share


def _hours(start: str, n: int, tz: str) -> pd.DatetimeIndex:
    """``n`` instants at the middle of each local hour from local midnight ``start``."""
    local = pd.date_range(start, periods=n, freq="h", tz=tz) + pd.Timedelta("30min")
    return local.tz_convert("UTC")


def test_a_weekday_averages_one_and_a_weekend_day_its_volume():
    """Wednesday 3 May 2017 in Brazil averages 1 (the profiles' normalisation); Saturday 6
    May averages the weekend volume, 0.95."""
    weekday = activity(_hours("2017-05-03", 24, "America/Sao_Paulo"), "America/Sao_Paulo")
    weekend = activity(_hours("2017-05-06", 24, "America/Sao_Paulo"), "America/Sao_Paulo")
    assert weekday.mean() == pytest.approx(1.0)
    assert weekend.mean() == pytest.approx(0.95)
    assert weekday.argmin() == 4  # 04:30 local, the night's low
    assert weekday.argmax() == 21  # 21:30 local, the evening's peak


def test_local_time_follows_daylight_saving_and_the_local_date():
    """Berlin's clocks went forward on 26 March 2017: 21:30 local is 20:30 UTC the week
    before and 19:30 UTC the week after, with the same activity. In Sydney, 23:30 UTC on
    Saturday is 09:30 on Sunday: the weekend profile, below a Monday morning."""
    before = pd.DatetimeIndex(pd.to_datetime(["2017-03-22 20:30"], utc=True))
    after = pd.DatetimeIndex(pd.to_datetime(["2017-03-29 19:30"], utc=True))
    assert activity(before, "Europe/Berlin") == pytest.approx(activity(after, "Europe/Berlin"))
    sunday = pd.DatetimeIndex(pd.to_datetime(["2017-05-06 23:30"], utc=True))  # 09:30 AEST
    monday = pd.DatetimeIndex(pd.to_datetime(["2017-05-07 23:30"], utc=True))
    assert activity(sunday, "Australia/Sydney")[0] < activity(monday, "Australia/Sydney")[0]


def test_awake_share_is_the_profile_at_each_local_hour():
    """At the middle of each local hour the share is the profile's value; between two
    midpoints it is interpolated (21:00 UTC is 02:30 in India: 0.08)."""
    times = _hours("2017-05-03", 24, "Asia/Kolkata")
    assert np.allclose(awake_share(times, "Asia/Kolkata"), AWAKE_SHARE)
    between = pd.DatetimeIndex(pd.to_datetime(["2017-05-03 20:30"], utc=True))  # 02:00 IST
    assert awake_share(between, "Asia/Kolkata")[0] == pytest.approx(
        (AWAKE_SHARE[1] + AWAKE_SHARE[2]) / 2
    )

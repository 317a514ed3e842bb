"""How active a country's users are through their local day.

The profiles are the project's stated assumptions (no public hourly messaging-activity series by
country was found): messaging is lowest around 03:00-05:00 local time, rises through the
morning and peaks in the evening around 21:00, with a later morning on weekends. They are used by
the simulator (reports follow activity) and by the impact step (how many users were awake during
an outage). Pass your own 24-hour profiles to override them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["AWAKE_SHARE", "WEEKDAY_PROFILE", "WEEKEND_PROFILE", "activity", "awake_share"]

# Relative activity at the middle of each local hour 00..23 (weekday, weekend); normalised
# to a mean of 1 below.
_WEEKDAY = [0.45, 0.25, 0.15, 0.10, 0.08, 0.10, 0.25, 0.55, 0.85, 1.00, 1.05, 1.10,
            1.15, 1.15, 1.10, 1.10, 1.15, 1.20, 1.35, 1.50, 1.65, 1.70, 1.50, 0.95]  # fmt: skip
_WEEKEND = [0.60, 0.40, 0.25, 0.15, 0.10, 0.08, 0.12, 0.25, 0.50, 0.80, 1.00, 1.15,
            1.20, 1.20, 1.20, 1.15, 1.15, 1.20, 1.30, 1.45, 1.60, 1.65, 1.50, 1.05]  # fmt: skip
#: Weekday activity by local hour (mean 1).
WEEKDAY_PROFILE: np.ndarray = np.asarray(_WEEKDAY) / np.mean(_WEEKDAY)
#: Weekend activity by local hour (mean 1).
WEEKEND_PROFILE: np.ndarray = np.asarray(_WEEKEND) / np.mean(_WEEKEND)
#: Share of people awake at the middle of each local hour (assumption: most sleep 23:00-07:00).
AWAKE_SHARE: np.ndarray = np.asarray(
    [0.30, 0.15, 0.08, 0.05, 0.05, 0.10, 0.35, 0.70, 0.90, 0.95, 0.97, 0.97,
     0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.96, 0.94, 0.88, 0.72, 0.50]
)  # fmt: skip


def _by_local_hour(
    times: pd.DatetimeIndex,
    timezone: str,
    weekday_profile: np.ndarray,
    weekend_profile: np.ndarray,
) -> np.ndarray:
    wall = pd.DatetimeIndex(times).tz_convert(timezone).tz_localize(None)
    minutes = wall.as_unit("s").asi8 // 60  # local wall-clock minutes since 1970-01-01
    hour = (minutes % 1440) / 60.0
    weekday = (minutes // 1440 + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    centres = np.arange(24) + 0.5
    on_weekday = np.interp(hour, centres, weekday_profile, period=24)
    on_weekend = np.interp(hour, centres, weekend_profile, period=24)
    return np.where(weekday >= 5, on_weekend, on_weekday)


def activity(
    times: pd.DatetimeIndex,
    timezone: str,
    *,
    weekday: np.ndarray = WEEKDAY_PROFILE,
    weekend: np.ndarray = WEEKEND_PROFILE,
    weekend_volume: float = 0.95,
) -> np.ndarray:
    """Relative activity of a country's users at UTC ``times`` (1 = weekday average).

    Local time comes from the IANA ``timezone`` (daylight-saving changes included); the
    24 hourly values are interpolated linearly, periodically, between hour midpoints.

    Parameters
    ----------
    times : DatetimeIndex
        tz-aware instants.
    timezone : str
        IANA zone, e.g. ``"America/Sao_Paulo"``.
    weekday, weekend : ndarray of 24 floats
        Activity at the middle of each local hour.
    weekend_volume : float
        Weekend activity relative to weekdays.

    Returns
    -------
    ndarray of float
        One value per instant, >= 0.

    Examples
    --------
    >>> t = pd.to_datetime(["2017-05-03 06:00", "2017-05-04 00:30"], utc=True)
    >>> a = activity(pd.DatetimeIndex(t), "America/Sao_Paulo")  # 03:00 and 21:30 local
    >>> bool(a[0] < 0.2 < 1.5 < a[1])
    True
    """
    weekend = np.asarray(weekend, dtype=float) * weekend_volume
    return _by_local_hour(times, timezone, np.asarray(weekday, float), weekend)


def awake_share(
    times: pd.DatetimeIndex, timezone: str, *, profile: np.ndarray = AWAKE_SHARE
) -> np.ndarray:
    """Share of a country's people awake at UTC ``times`` (0 to 1), from local time.

    Examples
    --------
    >>> t = pd.DatetimeIndex(pd.to_datetime(["2017-05-03 21:00"], utc=True))
    >>> float(awake_share(t, "Asia/Kolkata")[0].round(2))  # 02:30 local
    0.08
    """
    profile = np.asarray(profile, dtype=float)
    return _by_local_hour(times, timezone, profile, profile)

"""Service users per country: sources, ranges, overrides and scaling to a known total."""

import numpy as np
import pandas as pd
import pytest

from analysis import load_countries
from analysis.users import PUBLISHED_SPREAD, service_users


def test_every_country_has_users_and_a_source():
    users = service_users()
    assert len(users) == len(load_countries())
    assert users["users"].gt(0).where(users["internet_users"] > 0, True).all()
    assert set(users["penetration_source"]) == {
        "published", "assumed by market", "assumed: another messenger leads",
    }  # fmt: skip
    assert (users["users_low"] <= users["users"]).all()
    assert (users["users"] <= users["users_high"]).all()
    assert (users["users_high"] <= users["internet_users"] + 1e-6).all()


def test_published_figure_used_with_its_spread():
    row = service_users(["BRA"]).loc["BRA"]
    table = load_countries().set_index("iso3").loc["BRA"]
    assert row["penetration_source"] == "published"
    assert row["users"] == pytest.approx(table["internet_users"] * 0.91)
    assert row["users_low"] == pytest.approx(row["users"] * (1 - PUBLISHED_SPREAD))


def test_overrides_and_given_users():
    users = service_users(["DEU", "XKX"], penetration={"DEU": 0.5}, users={"XKX": 1e6})
    assert users.loc["DEU", "penetration_source"] == "given"
    assert users.loc["DEU", "users_low"] == users.loc["DEU", "users_high"]
    assert users.loc["XKX", "users"] == 1e6
    assert users.loc["XKX", "penetration_source"] == "given users"


def test_users_total_scales_one_factor_and_keeps_the_ranges_relative():
    plain = service_users(["BRA", "IND", "DEU"])
    scaled = service_users(["BRA", "IND", "DEU"], users_total=1e8)
    assert scaled["users"].sum() == pytest.approx(1e8)
    factor = scaled["users"] / plain["users"]
    np.testing.assert_allclose(factor, factor.iloc[0])
    np.testing.assert_allclose(scaled["users_low"] / scaled["users"],
                               plain["users_low"] / plain["users"])  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": ["BRA", "ATA"]}, "not in the country table"),
        ({"regions": ["BRA"], "users_total": 1e12}, "cannot be reached"),
        ({"regions": ["BRA"], "users_total": -1}, "must be > 0"),
    ],
)
def test_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        service_users(**kwargs)


def test_missing_internet_share_is_an_error_not_a_zero():
    countries = load_countries()
    countries.loc[countries["iso3"] == "BRA", "internet_users"] = pd.NA
    with pytest.raises(ValueError, match=r"cannot derive users for \['BRA'\]"):
        service_users(["BRA"], countries)

"""Service users per country: sources, ranges, overrides and scaling to a known total."""

import numpy as np
import pandas as pd
import pytest

from analysis import ReportDataError, load_countries
from analysis.users import (
    load_service_use,
    market_penetration,
    published_penetration,
    service_users,
)


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


def test_published_figures_give_the_company_count_for_india_and_a_sourced_germany():
    """India: the company's 200 million of February 2017 (the old fallback gave about 136 M);
    Germany: published surveys (54% of adult online users; 64% of people 14+ weekly), not the
    30% assumed for developed markets."""
    users = service_users(["IND", "DEU", "BRA"])
    assert users.loc["IND", "users"] == pytest.approx(200e6, rel=1e-9)
    assert (users["penetration_source"] == "published").all()
    assert 0.54 <= users.loc["DEU", "penetration"] <= 64 / 84.39
    table = load_countries().set_index("iso3")
    assert users.loc["BRA", "users"] == pytest.approx(120e6)  # company, May 2017
    assert users.loc["BRA", "users_high"] == pytest.approx(table.loc["BRA", "internet_users"])


def test_each_base_converts_to_a_share_of_internet_users():
    countries = load_countries()
    table = countries.set_index("iso3")
    use = _use([("BRA", 2017, 60, "internet users", "estimate"),
                ("DEU", 2017, 42.195, "population", "estimate"),
                ("USA", 2017, 1e8, "persons", "estimate"),
                ("KEN", 2017, 30, "population", "estimate")])  # fmt: skip
    found = published_penetration(use, countries)
    assert found.loc["BRA", "penetration"] == pytest.approx(0.60)
    # a share p of a population: between p and p / internet share, the geometric middle
    deu_high = 0.42195 / (table.loc["DEU", "internet_share"] / 100)
    assert found.loc["DEU", "penetration"] == pytest.approx(np.sqrt(0.42195 * deu_high))
    assert deu_high == pytest.approx(0.5, abs=1e-4)
    assert found.loc["KEN", "penetration_low"] == pytest.approx(0.30)  # p itself
    usa = 1e8 / table.loc["USA", "internet_users"]
    assert found.loc["USA", "penetration"] == pytest.approx(usa)
    assert found.loc["KEN", "penetration_high"] == 1.0  # 30% of Kenyans > ITU's 17.8% online
    assert found.loc["KEN", "capped"]
    assert not found.loc["BRA", "capped"]


def test_range_spans_the_years_near_and_the_point_takes_the_nearest_year():
    use = _use([("MEX", 2016, 50, "internet users", "estimate"),
                ("MEX", 2017, 70, "internet users", "estimate"),
                ("MEX", 2017, 80, "internet users", "estimate"),
                ("MEX", 2021, 99, "internet users", "estimate"),
                ("TUR", 2021, 88, "internet users", "estimate")])  # fmt: skip
    found = published_penetration(use, load_countries())
    assert found.loc["MEX", "penetration"] == pytest.approx(0.75)
    assert found.loc["MEX", "penetration_low"] == pytest.approx(0.50)
    assert found.loc["MEX", "penetration_high"] == pytest.approx(0.90)  # +20% of the point
    assert found.loc["MEX", "years"] == "2016-2017"
    assert found.loc["TUR", "penetration"] == pytest.approx(0.88)  # none near: all years


def test_lower_bounds_raise_the_point_and_an_assumed_range():
    countries = load_countries()
    use = _use([("ESP", 2017, 30, "internet users", "estimate"),
                ("ESP", 2017, 45, "internet users", "lower bound"),
                ("CHL", 2017, 39, "internet users", "lower bound"),
                ("PER", 2017, 99, "internet users", "not used"),
                ("BRA", 2017, 90, "internet users", "estimate"),
                ("MEX", 2017, 20, "internet users", "estimate"),
                ("IND", 2017, 60, "internet users", "estimate")])  # fmt: skip
    users = service_users(["ESP", "CHL", "PER"], countries, use=use)
    internet = countries.set_index("iso3")["internet_users"]
    assert users.loc["ESP", "penetration"] == pytest.approx(0.45)
    assert users.loc["ESP", "users_low"] == pytest.approx(0.45 * internet["ESP"])
    assert users.loc["CHL", "penetration_source"] == "assumed by market"
    assert users.loc["CHL", "users_low"] == pytest.approx(0.39 * internet["CHL"])
    model = market_penetration(published_penetration(use, countries), countries)
    assert users.loc["PER", "penetration"] == pytest.approx(model.loc["developing", "penetration"])


def test_countries_without_a_figure_get_the_market_model_with_its_prediction_interval():
    """No fixed guess (it was 55% / 30%): a logit-normal fitted per market to the published
    countries, its mean as the point and a 90% prediction interval as the range."""
    from scipy import special, stats

    countries = load_countries()
    rows = [(code, 2017, value, "internet users", "estimate")
            for code, value in (("BRA", 90), ("MEX", 60), ("IND", 80), ("NGA", 70),
                                ("DEU", 50), ("GBR", 30), ("ESP", 80))]  # fmt: skip
    use = _use(rows)
    model = market_penetration(published_penetration(use, countries), countries)
    developing = special.logit([0.9, 0.6, 0.8, 0.7])
    half = stats.t.ppf(0.95, 3) * developing.std(ddof=1) * np.sqrt(1 + 1 / 4)
    assert model.loc["developing", "penetration"] == pytest.approx(special.expit(developing.mean()))
    assert model.loc["developing", "penetration_high"] == pytest.approx(
        special.expit(developing.mean() + half)
    )
    assert model.loc["developed", "countries"] == 3
    users = service_users(["EGY", "FRA", "CHN"], countries, use=use)
    internet = countries.set_index("iso3")["internet_users"]
    low = model.loc["developed", "penetration_low"] * internet["FRA"]
    assert users.loc["FRA", "users_low"] == pytest.approx(low)
    assert users.loc["EGY", "penetration"] == pytest.approx(model.loc["developing", "penetration"])
    assert users.loc["CHN", "penetration"] == pytest.approx(0.05)  # another messenger leads


@pytest.mark.parametrize(
    ("edit", "column"),
    [({"base": "households"}, "base"), ({"value": "140"}, "value"),
     ({"iso3": "XXX"}, "iso3"), ({"year": "soon"}, "year")],
)  # fmt: skip
def test_bad_use_files_are_refused_naming_column_and_line(tmp_path, edit, column):
    frame = load_service_use()
    frame = frame.astype({"year": str, "value": str})
    for key, value in edit.items():
        frame.loc[6, key] = value  # line 8: a share of internet users
    path = tmp_path / "use.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ReportDataError, match="line 8") as error:
        load_service_use(path)
    assert error.value.column == column
    assert str(path) in str(error.value)


def _use(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["iso3", "year", "value", "base", "role"])
    return frame.assign(value=frame["value"].astype("float64"))


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

"""Region codes and country-name translation."""

from __future__ import annotations

import pytest

from analysis import iso3_codes, to_iso3


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("BRA", "BRA"),
        ("br", "BRA"),
        ("Brazil", "BRA"),
        ("Worldwide", "WLD"),
        ("Côte d’Ivoire", "CIV"),
        ("Congo - Kinshasa", "COD"),
        ("Myanmar (Burma)", "MMR"),
        ("Russia", "RUS"),
        ("Turkey", "TUR"),
        ("Kosovo", "XKX"),
        ("XK", "XKX"),
        ("United States", "USA"),
        ("South Korea", "KOR"),
        ("Hong Kong", "HKG"),
    ],
)
def test_to_iso3(label, code):
    assert to_iso3(label) == code


def test_unknown_label():
    with pytest.raises(KeyError):
        to_iso3("Atlantis")


def test_code_set():
    codes = iso3_codes()
    assert {"BRA", "IND", "NGA", "USA", "WLD", "XKX"} <= codes
    assert len(codes) >= 249
    assert all(len(c) == 3 and c.isupper() for c in codes)

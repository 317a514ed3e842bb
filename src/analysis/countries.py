"""Country codes: ISO 3166-1 look-ups used to check and translate region labels.

Region codes in a report frame are ISO 3166-1 alpha-3 codes (from the ``pycountry``
package's copy of the ISO standard) plus two codes the standard does not assign:
``WLD`` (worldwide total, as the World Bank uses it) and ``XKX`` (Kosovo, the user-assigned
code used by the World Bank and the European Commission).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

import pycountry

__all__ = ["EXTRA_CODES", "iso3_codes", "to_iso3", "unknown_region_codes"]

#: Codes accepted beside ISO 3166-1 alpha-3, with their meaning.
EXTRA_CODES: dict[str, str] = {"WLD": "World (all regions)", "XKX": "Kosovo"}

# Names used by tracker and search-trend exports (Google Trends in particular) that
# pycountry's names, official names and common names do not cover.
_ALIASES: dict[str, str] = {
    "worldwide": "WLD",
    "world": "WLD",
    "russia": "RUS",
    "turkey": "TUR",
    "turkiye": "TUR",
    "myanmar (burma)": "MMR",
    "burma": "MMR",
    "congo - kinshasa": "COD",
    "congo - brazzaville": "COG",
    "democratic republic of the congo": "COD",
    "dr congo": "COD",
    "republic of the congo": "COG",
    "cote d'ivoire": "CIV",
    "ivory coast": "CIV",
    "palestine": "PSE",
    "kosovo": "XKX",
    "macedonia": "MKD",
    "czech republic": "CZE",
    "swaziland": "SWZ",
    "cape verde": "CPV",
    "south korea": "KOR",
    "north korea": "PRK",
    "uk": "GBR",
    "usa": "USA",
    "us": "USA",
    "hong kong": "HKG",
    "macau": "MAC",
    "macao": "MAC",
    "taiwan": "TWN",
    "vatican city": "VAT",
    "st. kitts & nevis": "KNA",
    "st. lucia": "LCA",
    "st. vincent & grenadines": "VCT",
    "trinidad & tobago": "TTO",
    "antigua & barbuda": "ATG",
    "bosnia & herzegovina": "BIH",
    "sao tome & principe": "STP",
    "turks & caicos islands": "TCA",
    "u.s. virgin islands": "VIR",
    "british virgin islands": "VGB",
    "micronesia": "FSM",
    "laos": "LAO",
    "syria": "SYR",
    "iran": "IRN",
    "moldova": "MDA",
    "bolivia": "BOL",
    "venezuela": "VEN",
    "tanzania": "TZA",
    "vietnam": "VNM",
    "brunei": "BRN",
}


@cache
def iso3_codes() -> frozenset[str]:
    """All accepted region codes: ISO 3166-1 alpha-3 plus :data:`EXTRA_CODES`.

    Examples
    --------
    >>> "BRA" in iso3_codes() and "WLD" in iso3_codes()
    True
    """
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(EXTRA_CODES)


@cache
def _iso2_to_iso3() -> dict[str, str]:
    table = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    table["XK"] = "XKX"
    return table


def _fold(text: str) -> str:
    """Lower-case, strip accents and unify apostrophes, for name matching."""
    text = unicodedata.normalize("NFKD", text.strip().replace("\u2019", "'"))
    return " ".join(text.encode("ascii", "ignore").decode().lower().split())


@cache
def _names_to_iso3() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                table[_fold(name)] = c.alpha_3
    table.update({_fold(k): v for k, v in _ALIASES.items()})
    return table


def to_iso3(label: str) -> str:
    """Translate a country label (ISO-3, ISO-2 or an English name) to its ISO-3 code.

    Parameters
    ----------
    label : str
        ``"BRA"``, ``"BR"``, ``"Brazil"``, ``"Côte d’Ivoire"``, ``"Worldwide"`` ...

    Returns
    -------
    str
        The ISO 3166-1 alpha-3 code, or ``WLD`` / ``XKX``.

    Raises
    ------
    KeyError
        If the label is not a known code or name.

    Examples
    --------
    >>> to_iso3("Brazil"), to_iso3("NG"), to_iso3("Myanmar (Burma)")
    ('BRA', 'NGA', 'MMR')
    """
    text = label.strip()
    if text.upper() in iso3_codes() and len(text) == 3:
        return text.upper()
    if len(text) == 2 and text.upper() in _iso2_to_iso3():
        return _iso2_to_iso3()[text.upper()]
    folded = _fold(text)
    if folded in _names_to_iso3():
        return _names_to_iso3()[folded]
    raise KeyError(label)


def unknown_region_codes(codes: Iterable[str]) -> set[str]:
    """The codes in ``codes`` that are not accepted region codes (case-sensitive).

    Examples
    --------
    >>> sorted(unknown_region_codes(["BRA", "XXX", "bra"]))
    ['XXX', 'bra']
    """
    return set(codes) - iso3_codes()

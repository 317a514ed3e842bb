"""The package's one API style (stated in its docstring): checked over every public function."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import analysis


def _public_functions() -> dict[str, object]:
    """Every public function and method defined in the package, by qualified name."""
    found = {}
    for info in pkgutil.walk_packages(analysis.__path__, "analysis."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj):
                found[f"{module.__name__}.{name}"] = obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    function = getattr(member, "__func__", member)
                    if not attr.startswith("_") and inspect.isfunction(function):
                        found[f"{module.__name__}.{name}.{attr}"] = function
    return found


def test_every_interval_level_defaults_to_the_one_package_level():
    """Detection, baselines, impact, the market comparison and the study all default to
    ``analysis.LEVEL`` (0.9); the market comparison once defaulted to 0.95. The level is
    an option, so it is keyword-only."""
    levels = {}
    for name, function in _public_functions().items():
        parameter = inspect.signature(function).parameters.get("level")
        if parameter is not None and parameter.default is not inspect.Parameter.empty:
            levels[name] = (parameter.default, parameter.kind)
    assert "analysis.reliance.markets.compare_markets" in levels
    assert "analysis.detect.estimate.estimate_outages" in levels
    assert {name: d for name, (d, _) in levels.items() if d != analysis.LEVEL} == {}
    keyword = inspect.Parameter.KEYWORD_ONLY
    assert {name for name, (_, kind) in levels.items() if kind != keyword} == set()
    assert analysis.LEVEL == 0.9


def test_the_detectors_share_their_options_names_and_defaults():
    """The detection window and merge gap were fixed inside estimate_outages but options of
    threshold_outages; every option the two share now has one name and one default."""
    from analysis import estimate_outages, threshold_outages

    ours = inspect.signature(estimate_outages).parameters
    theirs = inspect.signature(threshold_outages).parameters
    shared = [name for name in theirs if name != "reports"]
    assert shared == ["window", "min_ratio", "min_excess", "z", "merge_gap"]
    for name in shared:
        assert ours[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert ours[name].default == theirs[name].default, name

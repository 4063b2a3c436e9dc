"""Grading config: the shipped YAML, validation messages, and the package's purity."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.grading import GradingConfig, GradingConfigError

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"asyncio", "sqlalchemy", "fastapi", "redis", "starlette"}


def test_shipped_yaml_is_the_default_config():
    raw = yaml.safe_load((ROOT / "config" / "grades.yaml").read_text(encoding="utf-8"))
    assert GradingConfig.from_mapping(raw) == GradingConfig.default()
    assert raw == GradingConfig.default().to_mapping()  # every key is spelled out


def test_partial_mappings_keep_the_other_defaults():
    cfg = GradingConfig.from_mapping({"clv": {"horizon_years": 5}, "currency": "€"})
    assert cfg.clv.horizon_years == 5 and cfg.currency == "€"
    assert cfg.clv.discount_rate == 0.1 and cfg.tier_names == ("vip", "key", "ordinary", "small")
    assert GradingConfig.from_mapping(None) == GradingConfig.from_mapping({})
    assert GradingConfig.from_mapping(cfg.to_mapping()) == cfg


def test_threshold_mode_config():
    cfg = GradingConfig.from_mapping(
        {
            "pyramid": {
                "mode": "threshold",
                "tiers": [{"name": "gold", "min_value": 500}, {"name": "rest"}],
            }
        }
    )
    assert cfg.pyramid.tiers[0].min_value == 500.0 and cfg.pyramid.tiers[1].min_value is None


def tiers(*pairs):
    return {"pyramid": {"tiers": [{"name": n, "share": s} for n, s in pairs]}}


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"colour": "red"}, "colour"),
        ([], "(top level)"),
        ({"value_measure": "profit"}, "value_measure"),
        ({"currency": ""}, "currency"),
        ({"default_purchase_interval_days": 0}, "default_purchase_interval_days"),
        ({"windows": {"recent_days": 30.5}}, "windows.recent_days"),
        ({"windows": "180"}, "windows"),
        ({"clv": {"discount_rate": -0.1}}, "clv.discount_rate"),
        ({"clv": {"horizon_years": True}}, "clv.horizon_years"),
        ({"clv": {"base_retention": 0.9}}, "clv.base_retention"),
        ({"lifecycle": {"decline_ratio": 0}}, "lifecycle.decline_ratio"),
        ({"lifecycle": {"growth_ratio": 1}}, "lifecycle.growth_ratio"),
        ({"lifecycle": {"min_baseline_days": 400}}, "lifecycle.min_baseline_days"),
        ({"churn": {"weight_ratings": 1.5}}, "churn.weight_ratings"),
        ({"churn": {"nope": 1}}, "churn.nope"),
        ({"rfm": {"window": "6m"}}, "rfm.window"),
        ({"pyramid": {"mode": "share"}}, "pyramid.mode"),
        ({"pyramid": {"tiers": []}}, "pyramid.tiers"),
        ({"pyramid": {"tiers": "vip"}}, "pyramid.tiers"),
        (tiers(("a", 0.5), ("b", 0.4)), "pyramid.tiers"),
        (tiers(("a", 0.5), ("a", 0.5)), "pyramid.tiers[1].name"),
        (tiers(("a", 0.5), ("prospect", 0.5)), "pyramid.tiers[1].name"),
        (tiers(("a", 1.0), ("b", 0)), "pyramid.tiers[1].share"),
        ({"pyramid": {"tiers": [{"share": 1.0}]}}, "pyramid.tiers[0].name"),
        ({"pyramid": {"tiers": [{"name": "a", "shares": 1.0}]}}, "pyramid.tiers[0].shares"),
        ({"pyramid": {"tiers": [{"name": "a"}]}}, "pyramid.tiers[0].share"),
        ({"pyramid": {"mode": "threshold"}}, "pyramid.tiers[0].min_value"),
        (
            {
                "pyramid": {
                    "mode": "threshold",
                    "tiers": [{"name": "a", "min_value": 5}, {"name": "b", "min_value": 9}],
                }
            },
            "pyramid.tiers[1].min_value",
        ),
        (
            {
                "pyramid": {
                    "mode": "threshold",
                    "tiers": [
                        {"name": "a", "min_value": 5},
                        {"name": "b", "min_value": 9},
                        {"name": "c"},
                    ],
                }
            },
            "pyramid.tiers[1].min_value",
        ),
    ],
)
def test_config_errors_name_the_bad_key(raw, key):
    with pytest.raises(GradingConfigError) as caught:
        GradingConfig.from_mapping(raw)
    assert caught.value.key == key
    assert key in str(caught.value)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["pyramid", "tiers", "clv", "mode", "name", "share", "x"]), inner
            )
        ),
        max_leaves=8,
    )
)
def test_any_garbage_is_a_config_error_or_a_valid_config(raw):
    try:
        GradingConfig.from_mapping(raw)
    except GradingConfigError:
        pass


def test_the_grading_package_imports_no_io_framework():
    for path in sorted((ROOT / "app" / "grading").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN, f"{path.name} imports {name}"
                assert not name.startswith("app.") or name.startswith("app.grading"), (
                    f"{path.name} imports {name}: grading depends on nothing else in the app"
                )

"""Resident models load, every number is sourced, bad files fail in one line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin._validation import config_error_from_validation
from twin.errors import ConfigError, InputFileError
from twin.residents import available_models, load_resident_model
from twin.residents.load import resolve_model_path

MODEL_NAMES = ("helsinki", "nairobi_informal")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_bundled_model_loads_and_every_number_is_sourced(name):
    model = load_resident_model(name)
    assert model.name == name
    sources = model.sources()
    assert all(text.strip() for text in sources.values())
    # Every sourced leaf of the YAML appears in sources(), and nothing else is a number.
    raw = yaml.safe_load(resolve_model_path(name).read_text())
    assert set(sources) == set(_sourced_fields(raw))
    assert not _bare_numbers(raw)


def _sourced_fields(node, field=""):
    if isinstance(node, dict):
        if "source" in node:
            yield field
            return
        for key, value in node.items():
            yield from _sourced_fields(value, f"{field}.{key}" if field else str(key))


def _bare_numbers(node, field=""):
    """Numbers outside a sourced block."""
    if isinstance(node, dict) and "source" not in node:
        return [bad for key, value in node.items() for bad in _bare_numbers(value, f"{field}.{key}")]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [field]
    return []


def test_available_models_and_load_by_path():
    assert set(MODEL_NAMES) <= set(available_models())
    path = resolve_model_path("helsinki")
    assert load_resident_model(path) == load_resident_model("helsinki")
    assert load_resident_model(str(path)).name == "helsinki"


def test_unknown_model_name_lists_the_available_ones():
    with pytest.raises(InputFileError) as info:
        load_resident_model("helsinky")
    message = str(info.value)
    assert "helsinky" in message and "helsinki" in message and "nairobi_informal" in message


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(InputFileError, match="absent.yaml"):
        load_resident_model(path)


def _raw_helsinki() -> dict:
    return yaml.safe_load(resolve_model_path("helsinki").read_text())


def _load_edited(tmp_path: Path, edit) -> ConfigError:
    """Write helsinki.yaml changed by ``edit(raw)``, load it, return the error."""
    raw = _raw_helsinki()
    edit(raw)
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return _config_error(path)


def _config_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_resident_model(path)
    text = str(info.value)
    assert "\n" not in text
    assert str(path) in text
    return info.value


def test_unknown_top_level_key_suggests_the_nearest(tmp_path):
    def edit(raw):
        raw["currancy"] = raw.pop("currency")

    error = _load_edited(tmp_path, edit)
    assert "currancy" in str(error) and "did you mean 'currency'" in str(error)


def test_unknown_nested_key_suggests_the_nearest(tmp_path):
    def edit(raw):
        raw["travel"]["parking_serch_time_s"] = raw["travel"].pop("parking_search_time_s")

    error = _load_edited(tmp_path, edit)
    assert error.field == "travel.parking_serch_time_s"
    assert "did you mean 'parking_search_time_s'" in str(error)
    assert "more problem" not in str(error)  # not reported missing as well


def test_missing_source_is_an_error(tmp_path):
    def edit(raw):
        del raw["travel"]["parking_walk_m"]["source"]

    error = _load_edited(tmp_path, edit)
    assert error.field == "travel.parking_walk_m.source"
    assert "assumption" in str(error)


@pytest.mark.parametrize(
    ("field", "value"),
    [("parking_walk_m", 150), ("parking_walk_m", {"value": 150, "source": "  "})],
    ids=["bare number", "blank source"],
)
def test_number_without_source_is_an_error(tmp_path, field, value):
    def edit(raw):
        raw["travel"][field] = value

    error = _load_edited(tmp_path, edit)
    assert error.field.startswith(f"travel.{field}")
    assert "source" in str(error)


def test_bare_table_is_an_error(tmp_path):
    def edit(raw):
        raw["car_by_income_quintile"] = [0.2, 0.3, 0.5, 0.6, 0.7]

    error = _load_edited(tmp_path, edit)
    assert error.field == "car_by_income_quintile" and "values:" in str(error)


def test_probability_above_one_is_an_error(tmp_path):
    def edit(raw):
        raw["car_by_income_quintile"]["values"][2] = 1.3

    error = _load_edited(tmp_path, edit)
    assert error.field == "car_by_income_quintile.values[2]"
    assert "1.3" in str(error)


def test_several_problems_are_all_named(tmp_path):
    def edit(raw):
        raw["car_by_income_quintile"]["values"][2] = 1.3
        raw["speeds"]["wheelchair_mps"]["value"] = -0.5

    error = _load_edited(tmp_path, edit)
    assert "1 more problem(s) at speeds.wheelchair_mps.value" in str(error)


@pytest.mark.parametrize(
    ("edit", "field", "phrase"),
    [
        (lambda raw: raw["age_bands"]["values"].update({"16-34": 0.4}), "age_bands.values", "sum to"),
        (
            lambda raw: raw["water"]["supply_by_income_quintile"]["values"]["piped"].__setitem__(0, 0.9),
            "water.supply_by_income_quintile.values",
            "quintile 1 sum to 0.9",
        ),
        (
            lambda raw: raw["digital"]["smartphone"]["by_age_band"]["values"].pop("75+"),
            "digital.smartphone.by_age_band.values",
            "missing '75+'",
        ),
        (
            lambda raw: raw["trips_per_week"]["values"].update({"water": {"16-34": 1}}),
            "trips_per_week.values",
            "unknown 'water'",
        ),
        (
            lambda raw: raw["mobility"]["wheelchair_share"].update({"value": 0.5}),
            "mobility.wheelchair_share.value",
            "reduced mobility",
        ),
        (lambda raw: raw["income"].pop("gini"), "income", "median and gini, or quantiles"),
        (lambda raw: raw["income"]["gini"].update({"value": 27.7}), "income.gini.value", "27.7 -> 0.277"),
        (lambda raw: raw["digital"]["correlation"].update({"value": True}), "digital.correlation.value", "number"),
        (lambda raw: raw.pop("travel"), "travel", "missing"),
        (
            lambda raw: raw["digital"]["phone"].update({"value": 0.9}),
            "digital.phone.value",
            "smartphone share of age band '16-34'",
        ),
    ],
    ids=["age shares", "water shares", "age band", "purpose", "wheelchair", "income form", "gini", "bool", "missing",
         "phone below smartphone"],
)
def test_inconsistent_model_is_an_error(tmp_path, edit, field, phrase):
    error = _load_edited(tmp_path, edit)
    assert error.field == field
    assert phrase in str(error)


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: broken\ncurrency: EUR\nage_bands:\n  values: {\"16-64\": 0.8, \"65+\": 0.2\n  source: x\n")
    error = _config_error(path)
    assert "malformed YAML at line" in str(error)


def test_duplicate_key_is_an_error(tmp_path):
    path = tmp_path / "duplicate.yaml"
    path.write_text("name: a\nname: b\n")
    assert "duplicate key 'name'" in str(_config_error(path))


@pytest.mark.parametrize("text", ["", "- a list\n"], ids=["empty", "list"])
def test_file_without_a_mapping_is_an_error(tmp_path, text):
    path = tmp_path / "model.yaml"
    path.write_text(text)
    _config_error(path)


def test_income_from_a_quantile_table(tmp_path):
    raw = _raw_helsinki()
    raw["income"] = {"quantiles": {"values": {0.05: 11500, 0.5: 28000, 0.95: 66200}, "source": "test"}}
    path = tmp_path / "quantiles.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    income = load_resident_model(path).income
    np.testing.assert_allclose(income.quantile(np.array([0.05, 0.5, 0.95])), [11500, 28000, 66200])
    tails = income.quantile(np.array([0.001, 0.01, 0.99, 0.999]))
    assert np.all(np.diff(tails) > 0) and tails[0] > 0


class _Walk(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["walk"]
    speed_mps: float


class _Drive(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["drive"]
    parking_time_s: float


class _Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    legs: list[Annotated[_Walk | _Drive, Field(discriminator="kind")]]
    label: str | None = None


def test_validation_helper_suggests_keys_inside_lists_and_unions():
    data = {"legs": [{"kind": "walk", "speed_mps": 1.0}, {"kind": "drive", "parking_tme_s": 60}]}
    with pytest.raises(ValidationError) as info:
        _Plan.model_validate(data)
    error = config_error_from_validation(info.value, "plan.yaml", model=_Plan)
    assert error.path == "plan.yaml"
    assert error.field == "legs[1].drive.parking_tme_s"
    assert "did you mean 'parking_time_s'" in str(error)
    assert "\n" not in str(error)
    # Without the model class the error is still one line, naming the key.
    assert "parking_tme_s" in str(config_error_from_validation(info.value, "plan.yaml"))

"""Finding and loading resident models (``models/<name>.yaml``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

import twin
from twin._validation import config_error_from_validation, read_yaml_mapping
from twin.errors import InputFileError
from twin.residents.model import ResidentModel

SUFFIXES = (".yaml", ".yml")


def models_dirs() -> list[Path]:
    """Folders searched for named models: the checkout's ``models/`` (editable
    install or repository), then ``./models``."""
    candidates = [Path(twin.__file__).resolve().parents[1] / "models", Path.cwd() / "models"]
    unique = dict.fromkeys(path.resolve() for path in candidates)
    return [path for path in unique if path.is_dir()]


def available_models() -> list[str]:
    """Names of the models in :func:`models_dirs`."""
    return sorted({p.stem for folder in models_dirs() for p in folder.iterdir() if p.suffix in SUFFIXES})


def resolve_model_path(name_or_path: str | Path) -> Path:
    """The file of a model: a bare name (``"helsinki"``) is looked up in
    :func:`models_dirs`; anything else is a path.

    Raises
    ------
    InputFileError
        No such model or file; the message lists the available names.
    """
    text = str(name_or_path)
    is_name = not isinstance(name_or_path, Path) and "/" not in text and "\\" not in text
    is_name = is_name and Path(text).suffix not in SUFFIXES
    fix = f"available models: {', '.join(available_models()) or 'none'}; or give the path of a .yaml file"
    if not is_name:
        path = Path(name_or_path)
        if not path.is_file():
            raise InputFileError("resident model file not found", path=path, fix=fix)
        return path
    for folder in models_dirs():
        for suffix in SUFFIXES:
            path = folder / f"{text}{suffix}"
            if path.is_file():
                return path
    raise InputFileError(f"no resident model named '{text}'", path=f"models/{text}.yaml", fix=fix)


def load_resident_model(name_or_path: str | Path) -> ResidentModel:
    """Load and validate a resident model.

    Parameters
    ----------
    name_or_path
        A model name (``"helsinki"``, ``"nairobi_informal"``) or a YAML path.

    Raises
    ------
    InputFileError
        The model or file does not exist.
    ConfigError
        Malformed YAML, an unknown key (with the nearest valid one), a number
        without a source, or a value out of range; one line naming the file,
        the field and a fix.
    """
    path = resolve_model_path(name_or_path)
    data = read_yaml_mapping(path)
    try:
        return ResidentModel.model_validate(data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, path, model=ResidentModel) from None

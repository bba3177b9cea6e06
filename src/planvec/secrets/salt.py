"""The salt of the hashes of findings: a random secret per data directory, in ``DATA_DIR/secrets.salt``
(mode 0600), made on first use. The hash of a value is then stable for one data directory (a scan
can recognise a known finding) and useless elsewhere (no dictionary of hashes across installs)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SALT_NAME = "secrets.salt"
_SALT_BYTES = 32


def load_salt(data_dir: Path | str | None) -> bytes:
    """The data directory's salt, made when missing. A data directory that cannot hold it (read-only,
    not given) gets a salt for this process only: hashes are then comparable within one run."""
    if data_dir is None:
        return secrets.token_bytes(_SALT_BYTES)
    path = Path(data_dir).expanduser() / SALT_NAME
    with contextlib.suppress(OSError, ValueError):
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    salt = secrets.token_bytes(_SALT_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made meanwhile by another process: use that one
        with contextlib.suppress(OSError, ValueError):
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        return salt
    except OSError:
        return salt
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(salt.hex() + "\n")
    return salt

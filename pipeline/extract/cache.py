"""Compact lookup tables built once, kept on disk, loaded by every process that needs them.

Building the gazetteer or the given-name list means parsing large JSON/text files that
ship with packages; the parsed intermediates are freed but leave a process's heap
~100 MB larger. So the build runs in a short-lived child process, which writes the
compact result (a pickle) to the cache folder; each worker and NLP process then only
unpickles it. The file name carries the package versions and the builder's module path
(the pickle names the classes it holds by module), so an upgrade or a move rebuilds.
A missing or unreadable cache never stops the pipeline: it falls back to building in
process.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import pickle
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from pipeline.settings import get_settings

log = logging.getLogger(__name__)
FORMAT = 2


def _call(target: str) -> Any:
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)()


def load_or_build(
    name: str, target: str, packages: tuple[str, ...], folder: Path | None = None
) -> Any:
    """The object `target` ('module:function') builds, from the disk cache when it is there
    (in `folder`, by default the WIRE_CACHE_DIR setting)."""
    stamp = "-".join(f"{p}{version(p)}" for p in packages)
    stamp += "-" + hashlib.sha256(target.encode()).hexdigest()[:8]
    folder = folder or get_settings().cache_dir.expanduser()
    path = folder / f"{name}-{stamp}-f{FORMAT}.pickle"
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("no cache folder %s (%s); building in process", path.parent, exc)
            return _call(target)
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.extract.cache", target, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            log.warning("could not cache %s (%s); building in process", name, done.stderr[-300:])
            return _call(target)
    try:
        return pickle.loads(path.read_bytes())  # our own file, written just above
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
        log.warning("unreadable cache %s (%s); building in process", path, exc)
        return _call(target)


def _write(target: str, path: Path) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(_call(target), protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)  # atomic: processes building at once never read half a file


if __name__ == "__main__":
    _write(sys.argv[1], Path(sys.argv[2]))

"""pipeline.cache: lookup tables built once in a child process, then only unpickled."""

from __future__ import annotations

from pathlib import Path

from pipeline import cache


def table() -> dict[str, int]:  # the target the child process calls
    return {"londres": 1, "saragosse": 2}


def test_built_once_by_a_child_then_loaded(tmp_path: Path) -> None:
    target = "tests.unit.test_cache:table"
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    [built] = tmp_path.glob("t-orjson*-f2.pickle")  # the version of a package is in the name
    stamp = built.stat().st_mtime_ns
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    assert built.stat().st_mtime_ns == stamp  # not rebuilt
    assert not list(tmp_path.glob("*.tmp"))


def test_a_broken_cache_or_build_falls_back_to_building_in_process(tmp_path: Path) -> None:
    target = "tests.unit.test_cache:table"
    cache.load_or_build("t", target, ("orjson",), tmp_path)
    [built] = tmp_path.glob("t-*.pickle")
    built.write_bytes(b"not a pickle")
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    (tmp_path / "file").write_text("a file where the folder should be")
    nowhere = tmp_path / "file" / "sub"
    assert cache.load_or_build("t", target, ("orjson",), nowhere) == table()

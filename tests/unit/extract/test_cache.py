"""pipeline.extract.cache: lookup tables built once in a child process, then only unpickled."""

from __future__ import annotations

from pathlib import Path

from pipeline.extract import cache


def table() -> dict[str, int]:  # the target the child process calls
    return {"londres": 1, "saragosse": 2}


def test_built_once_by_a_child_then_loaded(tmp_path: Path) -> None:
    target = "tests.unit.extract.test_cache:table"
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    [built] = tmp_path.glob("t-orjson*-f2.pickle")  # the version of a package is in the name
    stamp = built.stat().st_mtime_ns
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    assert built.stat().st_mtime_ns == stamp  # not rebuilt
    assert not list(tmp_path.glob("*.tmp"))


def test_a_broken_cache_or_build_falls_back_to_building_in_process(tmp_path: Path) -> None:
    target = "tests.unit.extract.test_cache:table"
    cache.load_or_build("t", target, ("orjson",), tmp_path)
    [built] = tmp_path.glob("t-*.pickle")
    built.write_bytes(b"not a pickle")
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()
    (tmp_path / "file").write_text("a file where the folder should be")
    nowhere = tmp_path / "file" / "sub"
    assert cache.load_or_build("t", target, ("orjson",), nowhere) == table()


class Moved:  # stands for a class whose module no longer exists
    pass


def test_a_cache_naming_a_moved_module_is_not_fatal(tmp_path: Path) -> None:
    target = "tests.unit.extract.test_cache:table"
    cache.load_or_build("t", target, ("orjson",), tmp_path)
    [built] = tmp_path.glob("t-*.pickle")
    # A pickle of a class from a module that has gone (code moved since it was written).
    import pickle

    blob = pickle.dumps(Moved()).replace(
        b"tests.unit.extract.test_cache", b"tests.unit.extract.gone_mod__"
    )
    built.write_bytes(blob)
    assert cache.load_or_build("t", target, ("orjson",), tmp_path) == table()


def test_the_builder_path_is_in_the_name(tmp_path: Path) -> None:
    cache.load_or_build("t", "tests.unit.extract.test_cache:table", ("orjson",), tmp_path)
    cache.load_or_build("t", "tests.unit.extract.test_cache:other_table", ("orjson",), tmp_path)
    assert len(list(tmp_path.glob("t-*.pickle"))) == 2


def other_table() -> dict[str, int]:
    return {"lyon": 3}

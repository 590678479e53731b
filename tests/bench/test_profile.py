"""`make profile`'s table: functions counted from py-spy's collapsed stacks, inclusive and self.

The stacks here are written by hand; py-spy itself never runs in the suite.
"""

from __future__ import annotations

from bench.profile import aggregate, function_of, table

# 10 samples: `walk` recurses on the first stack, `handle` appears at two lines of the same file.
COLLAPSED = """\
run (threading.py:975);handle (gateway/views.py:10);walk (core/tree.py:5);walk (core/tree.py:7) 4
run (threading.py:975);handle (gateway/views.py:12);dumps (orjson) 3
run (threading.py:975);handle (gateway/views.py:10) 2
select (selectors.py:469) 1
"""


def _rows() -> dict[str, tuple[int, int]]:
    total, rows = aggregate(COLLAPSED)
    assert total == 10
    return {row.function: (row.inclusive, row.leaf) for row in rows}


def test_a_recursive_function_counts_once_per_sample() -> None:
    assert _rows()["core/tree.py:walk"] == (4, 4)


def test_lines_of_one_function_count_together() -> None:
    assert _rows()["gateway/views.py:handle"] == (9, 2)


def test_self_is_the_leaf_only() -> None:
    rows = _rows()
    assert rows["threading.py:run"] == (9, 0)
    assert rows["orjson:dumps"] == (3, 3)
    assert rows["selectors.py:select"] == (1, 1)


def test_rows_are_sorted_by_inclusive_then_self() -> None:
    _, rows = aggregate(COLLAPSED)
    assert [row.function for row in rows] == [
        "gateway/views.py:handle",
        "threading.py:run",
        "core/tree.py:walk",
        "orjson:dumps",
        "selectors.py:select",
    ]


def test_table_shows_percentages_of_all_samples() -> None:
    total, rows = aggregate(COLLAPSED)
    lines = table(total, rows, limit=2).splitlines()
    assert len(lines) == 3  # header and two rows
    assert lines[1].split() == ["1", "90.0", "20.0", "gateway/views.py:handle"]
    assert lines[2].split() == ["2", "90.0", "0.0", "threading.py:run"]


def test_frames_without_a_line_number_or_a_file() -> None:
    assert function_of("dumps (orjson)") == "orjson:dumps"
    assert function_of("<module> (<frozen runpy>:88)") == "<frozen runpy>:<module>"
    assert function_of("process 123") == "process 123"


def test_blank_and_malformed_lines_are_skipped() -> None:
    total, rows = aggregate("\n\nnot a stack\nrun (threading.py:975) 2\n")
    assert total == 2
    assert [(row.function, row.inclusive, row.leaf) for row in rows] == [("threading.py:run", 2, 2)]

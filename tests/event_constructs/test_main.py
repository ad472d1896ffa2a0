"""``python -m event_constructs defaults``: the table of defaults printed, or rewritten between a file's markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from event_constructs.__main__ import main
from event_constructs.defaults import TABLE_END, TABLE_START, markdown_table


def test_the_command_prints_the_table_and_rewrites_only_what_is_between_the_markers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["defaults"]) == 0
    assert capsys.readouterr().out == markdown_table()
    document = tmp_path / "doc.md"
    document.write_text(f"# Title\n\nBefore.\n\n{TABLE_START}\n| stale |\n{TABLE_END}\n\nAfter.\n")
    assert main(["defaults", "--write", str(document)]) == 0
    assert document.read_text() == f"# Title\n\nBefore.\n\n{TABLE_START}\n{markdown_table()}{TABLE_END}\n\nAfter.\n"
    assert main(["defaults", "--write", str(document)]) == 0
    assert "is current" in capsys.readouterr().out
    document.write_text("# No markers\n")
    assert main(["defaults", "--write", str(document)]) == 1
    assert "no <!-- defaults:start --> ... <!-- defaults:end --> markers" in capsys.readouterr().err

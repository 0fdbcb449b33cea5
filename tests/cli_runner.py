"""Running the `twin` command in-process, as the CLI tests do."""

from __future__ import annotations

from typer.testing import CliRunner

from twin.cli import app

runner = CliRunner()


def twin(*args):
    """``twin ARGS...`` in this process; the click ``Result``."""
    return runner.invoke(app, [str(a) for a in args])


def assert_user_error(result, *needles: str) -> str:
    """Exit 2, no exception escaped, one line on stderr containing needles."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]

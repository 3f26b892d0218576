"""The command line as a whole: help, version, errors and exit codes."""

from __future__ import annotations

import re

import pytest

from rapport import __version__
from rapport.cli import app

COMMANDS = ["add", "log", "impression", "fact", "show", "clients", "export", "import", "demo",
            "search", "due", "todo", "done", "drift", "stats", "edit", "rm", "rename", "merge",
            "forget", "backup", "check", "db path", "db info", "db compact", "archive",
            "unarchive"]  # fmt: skip


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"rapport {__version__}\n"


def test_no_arguments_shows_help(run):
    result = run()
    assert "Usage" in result.output
    for command in COMMANDS:
        assert command.split()[0] in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run, command):
    result = run(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "Example: rapport" in result.stdout


def test_every_registered_command_is_tested_for_help():
    names = {c.name or c.callback.__name__ for c in app.registered_commands}
    for group in app.registered_groups:
        names |= {f"{group.name} {c.name}" for c in group.typer_instance.registered_commands}
    assert names == set(COMMANDS)


def test_unknown_option_is_one_line_exit_2(run):
    result = run("show", "x", "--nope")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("rapport: ")
    assert "--nope" in result.stderr


def test_missing_argument_is_exit_2(run):
    result = run("log")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_domain_error_is_one_line_without_traceback(run):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run("show", "zzz")
    assert result.exit_code == 2
    assert result.stderr == "rapport: no client matches 'zzz'\n"
    assert "Traceback" not in result.output


def test_debug_variable_shows_the_traceback(run):
    assert run("add", "Konrad Brandt").exit_code == 0
    result = run("show", "zzz", env={"RAPPORT_DEBUG": "1"})
    assert result.exit_code == 2
    assert "Traceback" in result.stderr
    assert result.stderr.rstrip().endswith("rapport: no client matches 'zzz'")


def test_a_journal_that_cannot_be_created_is_exit_1_one_line(run, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("--db", str(blocker / "sub" / "j.db"), "add", "A")
    assert result.exit_code == 1
    assert re.fullmatch(
        r"rapport: cannot create the journal .*j\.db: Not a directory\n", result.stderr
    )


def _command_paths(command, path=()):
    """Every command and group under `command`, as the words that reach it."""
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _command_paths(sub, (*path, name))


def test_help_names_every_value_with_a_word(run):
    """`--at DATE`, `CLIENT`, not Typer's `--at <str>`, `{client}` or `<list[str]>`."""
    from typer.main import get_command

    paths = list(_command_paths(get_command(app)))
    assert len(paths) > len(COMMANDS)  # the walk found every command, groups too
    for path in paths:
        result = run(*path, "--help")
        assert result.exit_code == 0, result.output
        shown = result.stdout
        assert not re.search(r"<[^<>\s]+>|\{[^{}\s]+\}", shown), f"rapport {' '.join(path)}"
        assert shown.startswith(f"Usage: rapport {' '.join(path)}".replace("  ", " "))
    usage = run("log", "--help").stdout
    assert usage.startswith("Usage: rapport log [OPTIONS] CLIENT [NOTE]\n")
    assert re.search(r"^  --at DATE ", usage, re.M)
    assert re.search(r"^  -t, --tag TAG ", usage, re.M)
    assert re.search(r"^  CLIENT +Who:", usage, re.M)

"""The instructor command line's options and defaults: a stable interface, pinned command by command."""

from __future__ import annotations

import argparse

import pytest

from autograder.__main__ import build_parser

#: Per command: positionals in order, then option -> default (the interface README.md documents).
EXPECTED = {
    "release": (["lessons"], {"--check": False}),
    "feedback": (["lesson"], {"--workspace": "grading", "--seed": None}),
    "report": (["lesson"], {"--workspace": "grading", "--seed": None}),
    "grade": (["lesson", "submissions"], {"--workspace": "grading", "--seed": None, "--jobs": 1,
                                          "--executor": "local", "--scheduler": None, "--fork-server": None,
                                          "--prewarm": None, "--timeout": 120.0,
                                          "--memory-mb": 3072, "--unsafe": False, "--attempt": "latest",
                                          "--regrade": False, "--public-seed": False}),
    "export": ([], {"--workspace": "grading", "--out": None, "--format": None, "--lesson": None, "--column": None}),
    "demo": (["lessons"], {"--workspace": "demo-output", "--no-execute": False}),
    "seed": ([], {}),
}


def _commands() -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _arguments(parser: argparse.ArgumentParser) -> tuple[list[str], dict[str, object]]:
    actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    positionals = [a.dest for a in actions if not a.option_strings]
    options = {a.option_strings[0]: a.default for a in actions if a.option_strings}
    return positionals, options


def test_every_command_keeps_its_arguments_and_defaults():
    commands = _commands()
    assert sorted(commands) == sorted(EXPECTED)
    for name, parser in commands.items():
        assert _arguments(parser) == EXPECTED[name], name


@pytest.mark.parametrize("argv, want", [
    (["grade", "01", "subs"], {"lesson": "01", "submissions": "subs", "workspace": "grading", "seed": None,
                               "jobs": 1, "timeout": 120.0, "memory_mb": 3072, "unsafe": False}),
    (["grade", "01", "subs", "--seed", "7", "--workspace", "w", "--memory-mb", "64"],
     {"seed": "7", "workspace": "w", "memory_mb": 64}),
    (["grade", "01", "subs", "--seed", "9f86d081884c7d659a2feaa0c55ad015", "--public-seed"],
     {"seed": "9f86d081884c7d659a2feaa0c55ad015", "public_seed": True}),
    (["grade", "01", "subs", "--executor", "dask", "--scheduler", "tcp://10.0.0.5:8786"],
     {"executor": "dask", "scheduler": "tcp://10.0.0.5:8786", "jobs": 1}),
    (["grade", "01", "subs", "--no-fork-server", "--prewarm", "0"], {"fork_server": False, "prewarm": 0}),
    (["grade", "01", "subs", "--fork-server"], {"fork_server": True, "prewarm": None}),
    (["demo"], {"lessons": [], "workspace": "demo-output", "no_execute": False}),
    (["demo", "01", "02", "--no-execute"], {"lessons": ["01", "02"], "no_execute": True}),
    (["feedback", "01", "--seed", "3"], {"lesson": "01", "workspace": "grading", "seed": "3"}),
    (["report", "01"], {"lesson": "01", "workspace": "grading", "seed": None}),
    (["export", "--out", "g.csv"], {"workspace": "grading", "out": "g.csv"}),
    (["release", "--check", "01"], {"lessons": ["01"], "check": True}),
])
def test_parsed_values(argv, want):
    args = vars(build_parser().parse_args(argv))
    assert {k: args[k] for k in want} == want


def test_shared_options_have_one_help_text():
    """A shared option reads the same in every command; only its default differs (demo's workspace)."""
    helps: dict[str, set[str]] = {}
    for parser in _commands().values():
        for action in parser._actions:
            if action.dest in ("lesson", "lessons", "workspace", "seed"):
                helps.setdefault(action.dest, set()).add(action.help)
    assert helps.keys() == {"lesson", "lessons", "workspace", "seed"}
    assert all(len(texts) == 1 for texts in helps.values()), helps
    text = _commands()["demo"].format_help()
    assert "(default: ./demo-output)" in text and "(default: ./grading)" in _commands()["grade"].format_help()


def test_bad_option_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["grade", "01", "subs", "--jobs", "many"])
    assert exc.value.code == 2
    assert "--jobs" in capsys.readouterr().err

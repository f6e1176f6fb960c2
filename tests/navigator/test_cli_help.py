"""`blindpilot ... --help` explains itself: every command shows an example of its own use."""

from __future__ import annotations

import argparse
import json
import shlex
from collections.abc import Iterator

import pytest

from navigator.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """(command words, parser) of every subcommand, nested ones ("keys create") included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*words, name), sub
                yield from _commands(sub, (*words, name))


COMMANDS = dict(_commands(build_parser()))


def _examples(help_text: str) -> list[str]:
    _, _, tail = help_text.partition("\nexamples:\n")
    return [line.strip() for line in tail.splitlines() if line.startswith("  blindpilot ")]


def test_the_commands_are_all_found():
    assert {("decode",), ("keys",), ("keys", "create"), ("speak",)} <= COMMANDS.keys()


@pytest.mark.parametrize("words", sorted(COMMANDS), ids=" ".join)
def test_every_command_help_has_an_example_of_itself(words):
    examples = _examples(COMMANDS[words].format_help())
    assert examples, f"blindpilot {' '.join(words)} --help shows no example"
    assert any(shlex.split(e)[1 : 1 + len(words)] == list(words) for e in examples), examples


def test_decode_help_says_what_the_hex_starts_with():
    text = " ".join(COMMANDS[("decode",)].format_help().split())
    assert "2-byte company id little-endian, then the bytes of bleak's manufacturer_data" in text
    assert "16-bit service UUID little-endian, then the bytes of bleak's service_data" in text
    assert "0x004C: 4c00" in text and "0000feaa-...: aafe" in text


def test_the_decode_examples_decode(capsys):
    examples = _examples(COMMANDS[("decode",)].format_help())
    formats = set()
    for example in examples:
        argv = shlex.split(example)[1:]
        assert main([*argv, "--json"]) == 0, example
        assert json.loads(capsys.readouterr().out)["kind"]
        formats.add(argv[argv.index("--format") + 1] if "--format" in argv else "adv_data")
    assert formats == {"adv_data", "manufacturer", "service"}

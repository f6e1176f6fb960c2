"""Phrasebooks: one file per language, checked when loaded, shipped with the package."""

from __future__ import annotations

import fnmatch
import json
import tomllib
import typing
from collections.abc import Callable
from pathlib import Path

import pytest

from navigator.schemas import Lang
from voice.phrasebook import (
    LOCALES,
    SUPPORTED_LANGS,
    PhrasebookError,
    load_phrasebooks,
    phrasebook,
)

ROOT = Path(__file__).parents[2]


def _shipped(lang: str) -> dict:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def _locales(tmp_path: Path, **books: dict) -> Path:
    """A locales folder with the shipped English phrasebook and ``books`` by language."""
    for lang, book in {"en": _shipped("en"), **books}.items():
        (tmp_path / f"{lang}.json").write_text(json.dumps(book), encoding="utf-8")
    return tmp_path


def test_the_shipped_phrasebooks_are_the_supported_languages():
    assert SUPPORTED_LANGS == ("de", "en")
    assert phrasebook("de").say("turn.uturn") == "Kehren Sie um."


def test_a_language_is_one_more_file(tmp_path):
    dutch = _shipped("en")
    dutch["phrases"]["turn.uturn"] = "Keer om."
    books = load_phrasebooks(_locales(tmp_path, nl=dutch))
    assert list(books) == ["en", "nl"]
    assert books["nl"].say("turn.uturn") == "Keer om."


def test_a_phrasebook_with_a_missing_key_is_refused_at_load(tmp_path):
    german = _shipped("de")
    del german["phrases"]["turn.onto"]
    with pytest.raises(PhrasebookError, match=r"de\.json is missing phrases .*: turn\.onto$"):
        load_phrasebooks(_locales(tmp_path, de=german))


def _set(key: str, value: object) -> Callable[[dict], None]:
    return lambda book: book["phrases"].__setitem__(key, value)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_set("turn.onto.typo", " in {street_acc}"), r"has unknown phrases .*: turn\.onto\.typo"),
        (_set("turn.onto", " in {stret_acc}"), r"'turn\.onto' uses unknown slots \['stret_acc'\]"),
        (_set("turn.onto", " in {street_acc"), r"'turn\.onto' is not a template"),
        (_set("turn.onto", None), r"'turn\.onto' is not a string"),
        (lambda book: book.pop("decimal_mark"), r"is missing fields: decimal_mark"),
        (lambda book: book.update(street_grammar="latin"), r"'latin' is not one of"),
    ],
)
def test_a_broken_phrasebook_is_refused_naming_file_and_fault(tmp_path, spoil, message):
    german = _shipped("de")
    spoil(german)
    with pytest.raises(PhrasebookError, match=rf"phrasebook de\.json.*{message}"):
        load_phrasebooks(_locales(tmp_path, de=german))


def test_english_is_required_as_the_reference(tmp_path):
    (tmp_path / "de.json").write_text(json.dumps(_shipped("de")), encoding="utf-8")
    with pytest.raises(PhrasebookError, match="no en.json"):
        load_phrasebooks(tmp_path)


def test_every_phrasebook_is_packaged():
    """An installed wheel has only the files ``package-data`` names."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["voice"]
    files = [p.relative_to(ROOT / "voice").as_posix() for p in (ROOT / "voice/locales").iterdir()]
    assert files and all(any(fnmatch.fnmatch(f, p) for p in patterns) for f in files)


def test_the_api_offers_every_language_with_a_phrasebook():
    assert typing.get_args(Lang) == SUPPORTED_LANGS

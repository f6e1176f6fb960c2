"""One phrasebook per language: the words of every sentence Blind Pilot says, as data.

Each language is one file, ``voice/locales/<lang>.json`` (like Valhalla's per-locale narrative
files), and adding a language means adding a file: the phrasing rules in :mod:`voice.phrases` are
the same for every language and only pick and fill its templates. A file holds

- ``phrases``: templates by key, with ``{slot}`` placeholders from :data:`SLOTS`. English
  (:data:`REFERENCE_LANG`) is the source: every other phrasebook has exactly its keys.
- ``street_grammar``: how street names fill ``{street_acc}`` / ``{street_dat}``: "as_written",
  or "german" (article, case and gender, :mod:`voice.german`).
- ``decimal_mark``: "1.5 kilometres", "1,5 Kilometer".

Phrasebooks are checked when loaded, at import: a missing or stray key or a misspelt slot stops
start-up naming the file and the key, instead of breaking a sentence in the middle of a walk.
Speech uses the espeak-ng voice named like the file; the API lists the languages it accepts in
``navigator.schemas.Lang``.
"""

from __future__ import annotations

import json
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from voice import german

REFERENCE_LANG = "en"
LOCALES = resources.files("voice") / "locales"

#: Every placeholder a template may use: the slots :mod:`voice.phrases` fills.
SLOTS = frozenset(
    "along clock compass count dir direction distance first go heading items keep landmark lead "
    "length n name onto sentence side signal steps street street_acc street_dat target to_go"
    # transit (voice/transit.py)
    " delay headsign line platform subject text time when"
    .split()
)

StreetForms = Callable[[str], dict[str, str]]


def _as_written(name: str) -> dict[str, str]:
    """For languages that do not decline names: every case is the name itself."""
    return {"street_acc": name, "street_dat": name}


_STREET_GRAMMARS: dict[str, StreetForms] = {
    "as_written": _as_written,
    "german": german.street_forms,
}
_FIELDS = frozenset({"phrases", "street_grammar", "decimal_mark"})


class PhrasebookError(ValueError):
    """A phrasebook the phrasing rules cannot use; the message names the file and the fault."""


class UnsupportedLanguage(ValueError):
    """A language with no phrasebook; the message lists the supported ones."""

    def __init__(self, lang: str) -> None:
        super().__init__(f"unsupported language {lang!r}; supported: {', '.join(SUPPORTED_LANGS)}")
        self.lang = lang


@dataclass(frozen=True, slots=True)
class Phrasebook:
    """The checked contents of one ``<lang>.json``."""

    phrases: Mapping[str, str]
    decimal_mark: str
    street_forms: StreetForms

    def say(self, key: str, **slots: object) -> str:
        """The template ``key`` filled with ``slots``."""
        return self.phrases[key].format(**slots)

    def street_slots(self, street: str) -> dict[str, str]:
        """Every form of a street name the templates may ask for."""
        return {"street": street, **self.street_forms(street)}


def _require_keys(where: str, what: str, found: Collection[str], expected: Collection[str]) -> None:
    missing, unknown = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    if missing:
        raise PhrasebookError(f"{where} is missing {what}: {', '.join(missing)}")
    if unknown:
        raise PhrasebookError(f"{where} has unknown {what}: {', '.join(unknown)}")


def _check_template(where: str, key: str, template: object) -> None:
    if not isinstance(template, str):
        raise PhrasebookError(f"{where}: phrase {key!r} is not a string")
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as err:
        raise PhrasebookError(f"{where}: phrase {key!r} is not a template: {err}") from None
    if fields - SLOTS:
        raise PhrasebookError(
            f"{where}: phrase {key!r} uses unknown slots {sorted(fields - SLOTS)}; "
            f"known slots: {', '.join(sorted(SLOTS))}"
        )


def _parse(lang: str, data: object, keys: Collection[str] | None) -> Phrasebook:
    """``data`` (a parsed ``<lang>.json``) as a :class:`Phrasebook`, or :class:`PhrasebookError`.

    ``keys``: the phrase keys the reference phrasebook has (None when this is the reference).
    """
    where = f"phrasebook {lang}.json"
    if not isinstance(data, dict):
        raise PhrasebookError(f"{where} must hold a JSON object")
    _require_keys(where, "fields", data, _FIELDS)
    phrases, grammar, decimal_mark = data["phrases"], data["street_grammar"], data["decimal_mark"]
    if not isinstance(phrases, dict):
        raise PhrasebookError(f"{where}: phrases must be an object of templates")
    if keys is not None:
        _require_keys(where, f"phrases (compared with {REFERENCE_LANG}.json)", phrases, keys)
    for key, template in phrases.items():
        _check_template(where, key, template)
    if grammar not in _STREET_GRAMMARS:
        raise PhrasebookError(
            f"{where}: street_grammar {grammar!r} is not one of {', '.join(_STREET_GRAMMARS)}"
        )
    if not isinstance(decimal_mark, str) or not decimal_mark:
        raise PhrasebookError(f"{where}: decimal_mark must be a non-empty string")
    return Phrasebook(phrases, decimal_mark, _STREET_GRAMMARS[grammar])


def load_phrasebooks(directory: Traversable = LOCALES) -> dict[str, Phrasebook]:
    """Every ``<lang>.json`` in ``directory`` by language, each checked against English."""
    files = {
        f.name.removesuffix(".json"): f for f in directory.iterdir() if f.name.endswith(".json")
    }
    if REFERENCE_LANG not in files:
        raise PhrasebookError(f"no {REFERENCE_LANG}.json phrasebook in {directory}")

    def read(lang: str) -> object:
        try:
            return json.loads(files[lang].read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise PhrasebookError(f"phrasebook {lang}.json is not valid JSON: {err}") from None

    reference = _parse(REFERENCE_LANG, read(REFERENCE_LANG), None)
    books = {REFERENCE_LANG: reference}
    for lang in files.keys() - {REFERENCE_LANG}:
        books[lang] = _parse(lang, read(lang), reference.phrases.keys())
    return dict(sorted(books.items()))


_PHRASEBOOKS = load_phrasebooks()
SUPPORTED_LANGS = tuple(_PHRASEBOOKS)


def phrasebook(lang: str) -> Phrasebook:
    """The phrasebook for ``lang``, or :class:`UnsupportedLanguage`."""
    try:
        return _PHRASEBOOKS[lang]
    except KeyError:
        raise UnsupportedLanguage(lang) from None

"""Report settings: one validated set of choices, from defaults, a YAML file and flags.

``thematica report init`` writes a commented YAML file with every setting at its default
(:func:`config_template`); ``thematica report --config FILE`` reads it back
(:func:`load_settings`); any flag given on the command line overrides the file
(:meth:`ReportSettings.with_overrides`). Every key is checked: an unknown key or a bad value
is a one-line error that names the key (``agreement.bootstrap``), so a typo never silently
falls back to a default.

The defaults are those of the standalone commands, so a report's numbers can be reproduced
with them: agreement as ``thematica agreement --unit sentence`` (1,000 resamples, seed 1) and
saturation as ``thematica saturation`` (document order, base 4, run 2, threshold 5%).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thematica.core.errors import InputError

AGREEMENT_UNITS = ("character", "segment", "sentence", "turn", "document")
SATURATION_UNITS = ("document", "case")


@dataclass(frozen=True, slots=True)
class AttributeChoice:
    """One Table 1 attribute and the label printed for it."""

    name: str
    label: str


def default_label(name: str) -> str:
    """``time_in_role`` -> "Time in role"."""
    text = " ".join(name.replace("_", " ").split())
    return text[:1].upper() + text[1:]


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """Every choice a report makes; the defaults are the standalone commands' defaults."""

    title: str | None = None
    coder: str | None = None
    allow_open: bool = False
    attributes: tuple[AttributeChoice, ...] | None = None  # None: the default selection
    agreement_run: str | None = None
    agreement_coders: tuple[str, ...] | None = None
    agreement_unit: str = "sentence"
    agreement_bootstrap: int = 1000
    agreement_seed: int = 1
    agreement_codes: tuple[str, ...] | None = None
    saturation_order_by: str | None = None
    saturation_unit: str = "document"
    saturation_base: int = 4
    saturation_run: int = 2
    saturation_threshold: float = 0.05
    themes: tuple[str, ...] | None = None
    quotes_max: int = 3
    quotes_min_words: int = 15
    quotes_max_words: int = 80
    quotes_starred: bool = True

    def with_overrides(self, **values: Any) -> ReportSettings:
        """A copy with the given fields replaced (None means "not given": keep the setting);
        each value is validated like the file's."""
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if value is None:
                continue
            key = _KEY_OF[name]
            changes[name] = _FIELDS[key].check(key, value)
        merged = dataclasses.replace(self, **changes)
        _check_words(merged)
        return merged

    def to_state(self) -> dict[str, Any]:
        """The settings as plain JSON data (part of the report's state hash)."""
        out: dict[str, Any] = {}
        for key, spec in _FIELDS.items():
            value = getattr(self, spec.attr)
            if key == "table1.attributes" and value is not None:
                value = [[a.name, a.label] for a in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out


# -- validation -----------------------------------------------------------------------------
def _text(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{key} must be a non-empty text, not {value!r}")
    return value.strip()


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{key} must be true or false, not {value!r}")
    return value


def _int(minimum: int) -> Callable[[str, Any], int]:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InputError(f"{key} must be a whole number of at least {minimum}, not {value!r}")
        return value

    return check


def _share(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise InputError(f"{key} must be a share from 0 up to (not including) 1, not {value!r}")
    return float(value)


def _choice(options: Sequence[str]) -> Callable[[str, Any], str]:
    def check(key: str, value: Any) -> str:
        if value not in options:
            raise InputError(f"{key} must be one of {', '.join(options)}, not {value!r}")
        return str(value)

    return check


def _names(key: str, value: Any) -> tuple[str, ...] | None:
    """A list of names; a comma-separated text is accepted too ("alex,sam")."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",")]
    if not isinstance(value, (list, tuple)) or not value:
        raise InputError(f"{key} must be a non-empty list of names, not {value!r}")
    out = []
    for item in value:
        if not isinstance(item, (str, int)) or isinstance(item, bool) or not str(item).strip():
            raise InputError(f"{key} must be a list of names, not {value!r}")
        out.append(str(item).strip())
    if len(set(out)) != len(out):
        raise InputError(f"{key} names {sorted(n for n in out if out.count(n) > 1)[0]!r} twice")
    return tuple(out)


def _attributes(key: str, value: Any) -> tuple[AttributeChoice, ...] | None:
    """``[name, {name: ..., label: ...}, "name=Label"]``; an empty list is an empty Table 1."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{key} must be a list of attributes, not {value!r}")
    out: list[AttributeChoice] = []
    for n, item in enumerate(value, 1):
        if isinstance(item, str):
            name, _, label = item.partition("=")
            name, label = name.strip(), label.strip()
        elif isinstance(item, Mapping):
            extra = set(item) - {"name", "label"}
            if extra:
                raise InputError(f"unknown key {key}[{n}].{sorted(extra)[0]} (known: name, label)")
            name = str(item.get("name") or "").strip()
            label = str(item.get("label") or "").strip()
        else:
            raise InputError(f"{key}[{n}] must be an attribute name or name and label")
        if not name:
            raise InputError(f"{key}[{n}] needs a name")
        if any(a.name == name for a in out):
            raise InputError(f"{key} lists {name!r} twice")
        out.append(AttributeChoice(name, label or default_label(name)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Field:
    attr: str
    check: Callable[[str, Any], Any]
    comment: str
    flag: str = ""
    example: str = ""


_FIELDS: dict[str, _Field] = {
    "title": _Field("title", _text, 'the report\'s title (default "Results: PROJECT")', "--title"),
    "coder": _Field(
        "coder",
        _text,
        "the coding layer the findings read (default: the consensus layer, or the only coder)",
        "--coder",
    ),
    "allow_open": _Field(
        "allow_open",
        _bool,
        "write the report although consensus disagreements are still open (the findings "
        "then open with a notice saying so)",
        "--allow-open",
    ),
    "table1.attributes": _Field(
        "attributes",
        _attributes,
        "Table 1 rows, in this order, each with the label printed (default: every attribute "
        "except identifiers, free text, dates and attributes with one value per case)",
        "--attribute NAME[=LABEL]",
    ),
    "agreement.run": _Field(
        "agreement_run",
        _text,
        "a saved agreement run (thematica agreement --save NAME) whose figures the report "
        "uses; its coders, unit, codes and resamples then apply",
        "--agreement-run",
    ),
    "agreement.coders": _Field(
        "agreement_coders",
        _names,
        "the coders compared (default: the coders the consensus layer reconciled, else "
        "every human coder)",
        "--agreement-coders A,B",
    ),
    "agreement.unit": _Field(
        "agreement_unit",
        _choice(AGREEMENT_UNITS),
        "character, segment, sentence, turn or document",
        "--agreement-unit",
    ),
    "agreement.bootstrap": _Field(
        "agreement_bootstrap",
        _int(0),
        "resamples for the 95% interval (0 = none), as thematica agreement --bootstrap",
        "--bootstrap",
    ),
    "agreement.seed": _Field(
        "agreement_seed", _int(0), "bootstrap seed, as thematica agreement --seed", "--seed"
    ),
    "agreement.codes": _Field(
        "agreement_codes",
        _names,
        "only these codes (paths or unique names, each with its subcodes; default: all)",
        "--agreement-code",
    ),
    "saturation.order_by": _Field(
        "saturation_order_by",
        _text,
        "case attribute giving the interview order (default: document name)",
        "--order-by",
    ),
    "saturation.unit": _Field(
        "saturation_unit",
        _choice(SATURATION_UNITS),
        "document (each interview) or case (a case's documents together)",
        "--saturation-unit",
    ),
    "saturation.base": _Field(
        "saturation_base", _int(1), "base size: the first N interviews", "--base"
    ),
    "saturation.run": _Field(
        "saturation_run", _int(1), "run length: interviews per sliding run", "--run"
    ),
    "saturation.threshold": _Field(
        "saturation_threshold", _share, "new-information threshold (0.05 = 5%)", "--threshold"
    ),
    "themes": _Field(
        "themes",
        _names,
        "only these themes (names or numbers such as 2 or 6.1; default: all)",
        "--theme",
    ),
    "quotes.max": _Field(
        "quotes_max", _int(0), "at most this many quotes per theme (default rule)", "--max-quotes"
    ),
    "quotes.min_words": _Field(
        "quotes_min_words", _int(1), "preferred shortest quote, in words", "--quote-words MIN-MAX"
    ),
    "quotes.max_words": _Field(
        "quotes_max_words", _int(1), "preferred longest quote, in words", "--quote-words MIN-MAX"
    ),
    "quotes.starred": _Field(
        "quotes_starred",
        _bool,
        "starred codings (thematica star) are a theme's quotes when it has any",
        "--no-starred",
    ),
}
_KEY_OF = {spec.attr: key for key, spec in _FIELDS.items()}
_SECTIONS = sorted({key.split(".")[0] for key in _FIELDS if "." in key})


def _check_words(settings: ReportSettings) -> None:
    if settings.quotes_min_words > settings.quotes_max_words:
        raise InputError(
            f"quotes.min_words ({settings.quotes_min_words}) is more than quotes.max_words "
            f"({settings.quotes_max_words})"
        )


def settings_from_mapping(data: Any, source: str = "report configuration") -> ReportSettings:
    """Validated settings from parsed YAML (nested mappings as :func:`config_template`
    writes them). Every error names ``source`` and the key."""
    if data is None:
        return ReportSettings()
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: expected keys such as 'title:' and 'agreement:'")
    flat: dict[str, Any] = {}
    for top, value in data.items():
        top = str(top)
        if top in _SECTIONS:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                raise InputError(f"{source}: {top} must hold keys, such as {top}.{_first(top)}")
            for sub, inner in value.items():
                flat[f"{top}.{sub}"] = inner
        else:
            flat[top] = value
    changes: dict[str, Any] = {}
    for key, value in flat.items():
        spec = _FIELDS.get(key)
        if spec is None:
            raise InputError(f"{source}: unknown key {key!r} (known: {', '.join(_FIELDS)})")
        try:
            changes[spec.attr] = spec.check(key, value)
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from None
    settings = dataclasses.replace(ReportSettings(), **changes)
    try:
        _check_words(settings)
    except InputError as exc:
        raise InputError(f"{source}: {exc}") from None
    return settings


def _first(section: str) -> str:
    return next(k.split(".", 1)[1] for k in _FIELDS if k.startswith(section + "."))


def load_settings(text: str, source: str) -> ReportSettings:
    """Settings from YAML text; a syntax error names ``source`` and its line."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InputError(f"{source}{where}: {problem}") from None
    return settings_from_mapping(data, source)


# -- the commented template ----------------------------------------------------------------
@dataclass(slots=True)
class AttributeDefault:
    """An attribute as ``report init`` offers it: in Table 1 by default, or left out (why)."""

    name: str
    label: str
    left_out: str = ""  # "" or the reason: "a date", "one value per case", "free text"


@dataclass(slots=True)
class TemplateFacts:
    """What ``report init`` needs to know of the project to write useful defaults."""

    project: str
    attributes: list[AttributeDefault] = field(default_factory=list)
    coders: dict[str, str] = field(default_factory=dict)  # name -> kind
    runs: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)


def _yaml_value(value: Any) -> str:
    import yaml

    if value is None:
        return "null"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1000)
    return text.strip().removesuffix("...").strip()


def config_template(facts: TemplateFacts) -> str:
    """The commented YAML that ``report init`` writes: every key at its default, with the
    project's attributes listed (those left out by default commented, with the reason)."""
    d = ReportSettings()
    lines = [
        f"# Thematica report configuration for project {facts.project!r}.",
        "# Use it with: thematica report --config THIS_FILE -o results.docx",
        "# Every setting also works as a flag, and a flag overrides this file. A key left out",
        "# (or null) takes its default, which is the standalone command's default.",
        "",
    ]

    def comment(text: str, indent: str = "") -> None:
        lines.extend(
            textwrap.wrap(text, 96, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}#   ")
        )

    def entry(key: str, value: Any, indent: str = "") -> None:
        spec = _FIELDS[key]
        name = key.split(".")[-1]
        comment(f"{spec.comment} [{spec.flag}]", indent)
        lines.append(f"{indent}{name}: {_yaml_value(value)}")

    entry("title", d.title)
    entry("coder", d.coder)
    entry("allow_open", d.allow_open)
    if facts.themes:
        lines.append("# themes in this project:")
        lines += [f"#   {theme}" for theme in facts.themes]
    entry("themes", d.themes)
    lines += ["", "table1:"]
    spec = _FIELDS["table1.attributes"]
    comment(f"{spec.comment} [{spec.flag}]", "  ")
    kept = [a for a in facts.attributes if not a.left_out]
    lines.append("  attributes:" + ("" if kept else " []"))
    for a in facts.attributes:
        mark = "  # " if a.left_out else "  "
        why = f"  # left out: {a.left_out}" if a.left_out else ""
        lines.append(f"{mark}  - name: {_yaml_value(a.name)}{why}")
        lines.append(f"{mark}    label: {_yaml_value(a.label)}")
    lines += ["", "agreement:"]
    if facts.runs:
        comment(f"saved runs in this project: {', '.join(facts.runs)}", "  ")
    entry("agreement.run", d.agreement_run, "  ")
    humans = [n for n, k in facts.coders.items() if k == "human"]
    if facts.coders:
        kinds = ", ".join(f"{n} ({k})" for n, k in facts.coders.items())
        comment(f"coders in this project: {kinds}", "  ")
    entry("agreement.coders", d.agreement_coders, "  ")
    if len(humans) < 2:
        lines.append("  # (fewer than two human coders: no agreement unless coders are named)")
    entry("agreement.unit", d.agreement_unit, "  ")
    entry("agreement.bootstrap", d.agreement_bootstrap, "  ")
    entry("agreement.seed", d.agreement_seed, "  ")
    entry("agreement.codes", d.agreement_codes, "  ")
    lines += ["", "saturation:"]
    if facts.dates:
        comment(f"date attributes to order the interviews by: {', '.join(facts.dates)}", "  ")
    entry("saturation.order_by", d.saturation_order_by, "  ")
    entry("saturation.unit", d.saturation_unit, "  ")
    entry("saturation.base", d.saturation_base, "  ")
    entry("saturation.run", d.saturation_run, "  ")
    entry("saturation.threshold", d.saturation_threshold, "  ")
    lines += ["", "quotes:"]
    entry("quotes.max", d.quotes_max, "  ")
    entry("quotes.min_words", d.quotes_min_words, "  ")
    entry("quotes.max_words", d.quotes_max_words, "  ")
    entry("quotes.starred", d.quotes_starred, "  ")
    return "\n".join(lines) + "\n"

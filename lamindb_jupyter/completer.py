"""Tab completion inside ``%ln`` and ``%%ln``: an IPython matcher (API v2).

What completes where::

    %ln fi<Tab>                           filter
    %ln filter Art<Tab>                   Artifact
    %ln filter Artifact suf<Tab>          suffix=
    %ln filter Artifact created_by__<Tab> created_by__handle=, created_by__name=, ...
    %ln filter Artifact suffix__<Tab>     suffix__in=, suffix__startswith=, ...
    %ln get ULabel name="Cand<Tab>        "Candidate marker study 1"   (a LIMITed query)
    %ln filter Artifact --include ul<Tab> ulabels__
    %ln filter ULabel ulabels={stu<Tab>   {study1}                     (the notebook's variables)

Values are looked up only where it is cheap: text fields with an index, at most
``VALUE_LIMIT`` of them, with ``startswith``. Lookup objects complete by themselves
(their attributes and keys), through IPython's own matchers.

``matcher(ipython)`` makes the function that ``load_ipython_extension`` appends to
``ipython.Completer.custom_matchers``; it never raises (a failed completion offers nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from IPython.core.completer import CompletionContext, SimpleCompletion, SimpleMatcherResult, context_matcher

# light: registries and Django's ORM come with the first completion that needs them
import lamindb_core as ln
from lamindb_core.instance import KNOWN_MODULES, list_instances

from .magics import SUBCOMMANDS
from .parsing import KEY, QUOTES, Word, field_for_key, find_registry, split_words

__all__ = ["matcher", "complete", "VALUE_LIMIT"]

VALUE_LIMIT = 20
LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.,\s\[\]]*=\s*)?%ln\s(.*)$", re.S)
CELL = re.compile(r"^\s*%%ln(?:\s(.*))?$", re.S)
NEEDS_QUOTES = re.compile(r"[\s'\"|&~()\[\]{}$,=]|^(True|False|None)$|^$")

Items = list[tuple[str, str]]


def command_text(context: CompletionContext) -> str | None:
    """The ``%ln`` command before the cursor, or None outside the magic."""
    line = context.text_until_cursor
    match = LINE.match(line)
    if match:
        return match.group(1)
    first = context.full_text.split("\n", 1)[0]
    if context.cursor_line == 0:
        match = CELL.match(line)
        return match.group(1) or "" if match and line.lstrip().startswith("%%ln ") else None
    if CELL.match(first) and not line.lstrip().startswith("#"):
        return line.lstrip()
    return None


def _word_start(text: str) -> int:
    """Where the word under the cursor starts: after the last whitespace outside quotes."""
    quote, start = None, 0
    for i, char in enumerate(text):
        if quote:
            if char == quote:
                quote = None
        elif char in QUOTES:
            quote = char
        elif char.isspace():
            start = i + 1
    return start


def _is_open(text: str) -> bool:
    quote = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in QUOTES:
            quote = char
    return quote is not None


# -- fields ----------------------------------------------------------------------------


def _fields(model: type) -> list:
    return [f for f in model._meta.get_fields() if not f.name.endswith("+")]


def _visible(name: str, typed: str) -> bool:
    return name.startswith(typed) and (not name.startswith("_") or typed.startswith("_"))


def _walk(model: type, parts: list[str]) -> tuple[type | None, Any]:
    """Follow relation names; returns (model reached, or None) and the last field walked."""
    current, last = model, None
    for i, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except Exception:
            return None, None
        last = field
        if field.is_relation and field.related_model is not None:
            current = field.related_model
        else:
            return (None, field) if i == len(parts) - 1 else (None, None)
    return current, last


def _lookups(field: Any) -> list[str]:
    return sorted(field.get_lookups())


def key_items(model: type, typed: str, conditions: bool = True) -> Items:
    """Field paths that start with ``typed``: ``suffix=``, ``created_by__``, ``size__gt=``.

    With ``conditions=False`` (``--include``, ``--order-by``) paths end without ``=``.
    """
    parts = typed.split("__")
    head, last = parts[:-1], parts[-1]
    prefix = "".join(p + "__" for p in head)
    end = "=" if conditions else ""
    reached, field = _walk(model, head)
    items: Items = []
    if reached is not None:
        for f in _fields(reached):
            if not _visible(f.name, last):
                continue
            if f.is_relation:
                items.append((f"{prefix}{f.name}__", "relation"))
                if conditions:
                    items.append((f"{prefix}{f.name}=", "relation"))
            else:
                items.append((f"{prefix}{f.name}{end}", "field"))
        if field is not None and conditions:  # lookups of the relation itself: created_by__isnull=
            items += [(f"{prefix}{name}=", "lookup") for name in _lookups(field) if name.startswith(last)]
    elif field is not None and conditions:
        items += [(f"{prefix}{name}=", "lookup") for name in _lookups(field) if name.startswith(last)]
    return items


def _quote(value: str, prefer: str) -> str:
    if not NEEDS_QUOTES.search(value):
        return value
    quote = prefer if prefer not in value else ({"'": '"', '"': "'"}[prefer])
    return f"{quote}{value}{quote}"


def value_items(model: type, key: str, typed: str, namespace: dict, prefer: str = '"') -> Items:
    """Values for ``key=typed``: the notebook's variables after ``{`` or ``$``, True/False for
    a bool field, and the values of an indexed text field that start with ``typed``."""
    from django.db import models  # the ORM, on first use, not with %load_ext

    if typed.startswith(("{", "$")):
        opener = typed[0]
        name = typed[1:]
        return [
            (f"{{{n}}}" if opener == "{" else f"${n}", "variable")
            for n in sorted(namespace)
            if n.startswith(name) and not n.startswith("_") and n.isidentifier()
        ][:VALUE_LIMIT]
    quote = typed[0] if typed.startswith(tuple(QUOTES)) else ""
    prefix = typed[1:] if quote else typed
    if quote and prefix.endswith(quote):
        return []  # the value is closed already
    field, lookup = field_for_key(model, key)
    if field is None:
        return []
    if isinstance(field, models.BooleanField):
        return [(v, "value") for v in ("True", "False") if v.startswith(prefix)]
    cheap = isinstance(field, models.CharField) and (field.db_index or field.unique)
    if not cheap or lookup not in ("", "exact", "iexact", "startswith", "istartswith"):
        return []
    registry = field.model
    found: list[str] = []
    for how in ("startswith", "istartswith"):
        rows = (
            registry.filter(**{f"{field.name}__{how}": prefix})
            .exclude(**{f"{field.name}__in": found})
            .order_by(field.name)
            .values_list(field.name, flat=True)
            .distinct()[: VALUE_LIMIT - len(found)]
        )
        found += [v for v in rows if v is not None]
        if len(found) >= VALUE_LIMIT:
            break
    if quote:
        close = {'"': "'", "'": '"'}[quote]
        return [(f"{quote}{v}{quote}" if quote not in v else f"{close}{v}{close}", "value") for v in found]
    return [(_quote(v, prefer), "value") for v in found]


def _condition_items(model: type, piece: str, namespace: dict, prefer: str) -> tuple[str, Items]:
    """Completions for one condition being typed: its key, or its value after ``=``."""
    stripped = piece.lstrip("~(")
    key, sep, value = stripped.partition("=")
    if not sep:
        if key and not KEY.fullmatch(key):
            return stripped, []
        return stripped, key_items(model, key)
    if not KEY.fullmatch(key):
        return value, []
    return value, value_items(model, key, value, namespace, prefer)


# -- the command line --------------------------------------------------------------------


def registry_names(qualified: bool = False) -> list[str]:
    """The registries' names, sorted: ``ULabel``; with ``qualified`` also ``core.ULabel``,
    ``ln.ULabel`` and ``bt.CellType``, which ``%ln`` takes as well."""
    from lamindb_core.introspect import python_name, qualified_name, registries  # the ORM, on first use

    known = registries()
    names = set(known) if qualified else {n for n in known if "." not in n}
    if qualified:
        names |= {qualified_name(m) for m in known.values()} | {python_name(m) for m in known.values()}
    return sorted(names)


def _filter(candidates: Iterable[str], typed: str, kind: str) -> Items:
    return [(c, kind) for c in candidates if c.startswith(typed)]


def _active_option(sub, words: list[Word]):
    """The option whose values are being typed, if any."""
    options = {o.name: o for o in sub.options}
    active, count = None, 0
    for word in words:
        if word.startswith_option():
            name, sep, _ = word.text.partition("=")
            active, count = options.get(name), (1 if sep else 0)
        elif active is not None:
            if "=" in word.text or (active.nargs == "one" and count >= 1):
                active = None
            else:
                count += 1
    if active is None or active.nargs == "flag" or (active.nargs == "one" and count >= 1):
        return None
    return active


def _option_items(option, model: type | None, typed: str) -> Items:
    from lamindb_core.introspect import is_text_field  # the ORM, on first use

    if model is None and option.kind in ("path", "order", "field"):
        return []
    if option.kind == "path":
        return key_items(model, typed, conditions=False)
    if option.kind == "order":
        sign = "-" if typed.startswith("-") else ""
        return [(sign + text, kind) for text, kind in key_items(model, typed[len(sign):], conditions=False)]
    if option.kind == "field":
        return [
            (f.name, "field") for f in _fields(model)
            if is_text_field(f) and _visible(f.name, typed)
        ]
    if option.kind == "module":
        return _filter(KNOWN_MODULES, typed, "module")
    if option.kind == "feature":
        names = ln.Feature.filter(name__startswith=typed).order_by("name").values_list("name", flat=True)
        return [(n, "feature") for n in names[:VALUE_LIMIT]]
    return []


def complete(text: str, namespace: dict | None = None, hidden: Iterable[str] = ()) -> tuple[str, Items]:
    """Completions for the command ``text`` (what follows ``%ln ``, up to the cursor).

    Returns:
        The fragment of ``text`` that the completions replace, and ``(text, type)`` pairs.

    Example:
        >>> complete("filter Artifact suf")
        ('suf', [('suffix=', 'field')])
    """
    namespace = namespace or {}
    if hidden and ("{" in text or "$" in text):
        hidden = set(hidden)
        namespace = {k: v for k, v in namespace.items() if k not in hidden}
    start = _word_start(text)
    current = text[start:]
    words = split_words(text[:start])
    if not words:
        return current, _filter(SUBCOMMANDS, current, "subcommand")
    sub = SUBCOMMANDS.get(words[0].text)
    if sub is None:
        return current, []
    args = words[1:]
    if current.startswith("--"):
        names = [o.name for o in sub.options] + ["--help"]
        return current, _filter(names, current, "option")
    positional = [w for w in args if not w.startswith_option()]
    model = None
    if sub.registry != "none" and positional and not positional[0].any_quoted:
        try:
            model = find_registry(positional[0].text)
        except Exception:
            return current, []
    option = _active_option(sub, args)
    if option is not None:
        return current, _option_items(option, model, current)
    if sub.registry != "none" and not positional:
        if current.startswith(("{", "$")) and sub.name == "view":
            return current, value_items(None, "", current, namespace)
        return current, _filter(registry_names(qualified="." in current), current, "registry")
    if sub.positional == "subcommand" and not positional:
        return current, _filter(SUBCOMMANDS, current, "subcommand")
    if sub.positional == "instance" and not positional:
        return current, _filter(sorted(i.slug for i in list_instances()), current, "instance")
    if model is None or sub.positional not in ("conditions", "idlike"):
        return current, []
    if current.startswith(tuple(QUOTES)) and _is_open(current):
        # a quoted expression: "suffix=.jpg | suf
        if sub.positional != "conditions":
            return current, []
        inner = current[1:]
        piece = inner[_word_start(inner):]
        piece = re.split(r"[|&]", piece)[-1]
        prefer = "'" if current[0] == '"' else '"'
        return _condition_items(model, piece, namespace, prefer)
    piece = re.split(r"[|&]", current)[-1] if "=" not in current else current
    return _condition_items(model, piece, namespace, '"')


def matcher(ipython: Any) -> Callable[[CompletionContext], SimpleMatcherResult]:
    """The matcher to append to ``ipython.Completer.custom_matchers``."""

    @context_matcher(identifier="lamindb_jupyter.ln")
    def ln_matcher(context: CompletionContext) -> SimpleMatcherResult:
        text = command_text(context)
        if text is None:
            return {"completions": [], "suppress": False}
        try:
            fragment, items = complete(text, ipython.user_ns, getattr(ipython, "user_ns_hidden", ()))
        except Exception:  # a completion must never break the notebook
            return {"completions": [], "suppress": False}
        if not items:
            return {"completions": [], "suppress": False}
        return {
            "completions": [SimpleCompletion(t, type=kind) for t, kind in items],
            "matched_fragment": fragment,
            "suppress": True,
        }

    return ln_matcher

"""Turn the words of ``%ln ...`` into the arguments of ORM calls.

A line is split into words by ``shlex`` (quotes group words; nothing else is
special, not even ``\\`` or ``#``), and every word remembers which of its
characters were quoted, because quoting decides what a value means:

- ``size__gt=1e4`` is a number, ``name="1"`` is text; ``True``, ``False`` and
  ``None`` are Python's; a bare word is text (``suffix=.h5ad``); on a text field
  an unquoted number stays text (``uid=12345678``).
- ``suffix__in=[.jpg,.fastq.gz]`` is a list.
- ``{var}`` and ``$var`` are the notebook's variables: a whole value becomes the
  object itself (``ulabels={study1}``), inside text it becomes ``str(var)``.
  ``{{`` and ``$$`` write a literal ``{`` and ``$``.
- ``|``, ``&``, ``~`` and parentheses combine conditions into ``Q`` objects, in
  a quoted expression (``"suffix=.jpg | suffix=.fastq.gz"``) or bare.
- Brackets outside quotes pair up (``check_brackets``): a lone ``[``, ``(`` or ``{``
  is a mistake to point at, not text to guess at; text that holds one is quoted
  (``name="[T cell"``).

Nothing here runs a query: the results are registries, ``Q`` objects and keyword
arguments that ``magics.py`` hands to ``lamindb_core``. Every mistake raises
``IPython.core.error.UsageError`` with one line that names what was wrong and the
closest valid choice.

Example:
    >>> words = split_words('filter Artifact "suffix=.jpg | suffix=.fastq.gz" size__gt=1e4')
    >>> parse_conditions(words[2:], namespace={}, model=None)
    ([<Q: (OR: ('suffix', '.jpg'), ('suffix', '.fastq.gz'))>], {'size__gt': 10000.0})
"""

from __future__ import annotations

import keyword
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from IPython.core.error import UsageError

from lamindb_core.errors import FieldValidationError, NotFound, closest_match_hint

__all__ = [
    "Word",
    "Option",
    "split_words",
    "check_brackets",
    "parse_options",
    "parse_conditions",
    "parse_value",
    "expand_variables",
    "find_registry",
    "field_for_key",
]

QUOTES = "'\""
OPERATORS = "|&~()"
# a whole number as --limit takes it: digits 0-9 (int() also reads "١٢" and "1_0")
DIGITS = re.compile(r"[0-9]+", re.ASCII)
# the largest --limit: more rows than a notebook holds, and far from the databases' bigint,
# which a search's queries (10 x its limit) and filter's LIMIT must stay within
MAX_LIMIT = 1_000_000_000
BRACKETS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {close: open_ for open_, close in BRACKETS.items()}
# a variable reference: a name with attributes or subscripts, never a call
NAME_EXPR = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\[\]{}()]*\])*"
WHOLE_BRACE = re.compile(r"\{(" + NAME_EXPR + r")\}")
WHOLE_DOLLAR = re.compile(r"\$([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
INTERPOLATE = re.compile(r"\{\{|\}\}|\$\$|\{(" + NAME_EXPR + r")\}|\$([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")
INT = re.compile(r"[+-]?\d+")
FLOAT = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
KEY = re.compile(r"[A-Za-z_]\w*")


# -- words ---------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    """A word of the command line and the spans ``(start, end)`` of it that were quoted."""

    text: str
    quoted: tuple[tuple[int, int], ...] = ()

    @cached_property
    def _mask(self) -> bytes:
        mask = bytearray(len(self.text))
        for start, end in self.quoted:
            mask[start:end] = b"\x01" * (end - start)
        return bytes(mask)

    def is_quoted(self, index: int) -> bool:
        """Whether the character at ``index`` was inside quotes."""
        return 0 <= index < len(self.text) and self._mask[index] == 1

    @property
    def any_quoted(self) -> bool:
        """Whether any part of the word was quoted (``""`` counts)."""
        return bool(self.quoted)

    @property
    def fully_quoted(self) -> bool:
        """Whether the word was one quoted string, ``"..."``."""
        return len(self.quoted) == 1 and self.quoted[0] == (0, len(self.text))

    def slice(self, start: int, end: int | None = None) -> Word:
        """The part ``text[start:end]``, with its quoted spans."""
        end = len(self.text) if end is None else end
        spans = tuple(
            (max(s, start) - start, min(e, end) - start)
            for s, e in self.quoted
            if min(e, end) > max(s, start) or (s == e and start <= s <= end)
        )
        return Word(self.text[start:end], spans)

    def join(self, other: Word, sep: str = " ") -> Word:
        """This word, ``sep`` and ``other`` as one word."""
        offset = len(self.text) + len(sep)
        return Word(self.text + sep + other.text, self.quoted + tuple((s + offset, e + offset) for s, e in other.quoted))

    def find_unquoted(self, chars: str, start: int = 0) -> int:
        """The index of the first unquoted character of ``chars``, or -1."""
        mask = self._mask
        for i in range(start, len(self.text)):
            if self.text[i] in chars and not mask[i]:
                return i
        return -1

    def startswith_option(self) -> bool:
        """Whether the word is an option (``--limit``), not a value."""
        return self.text.startswith("--") and not self.is_quoted(0)


class _Lexer(shlex.shlex):
    """``shlex`` in POSIX mode that records where quotes opened and closed."""

    def __init__(self, text: str):
        self.spans: list[tuple[int, int]] = []
        self._open: int | None = None
        super().__init__(text, posix=True)
        self.whitespace_split = True
        self.commenters = ""
        self.escape = ""  # a backslash is a backslash: regexes, Windows paths

    def __setattr__(self, name, value):
        # shlex reads self.state for every character: watch the assignments, not the reads
        if name == "state":
            old = self.__dict__.get("state")
            token = self.__dict__.get("token") or ""
            if value is not None and value in QUOTES and (old is None or old not in QUOTES):
                self.__dict__["_open"] = len(token)
            elif old is not None and old in QUOTES and (value is None or value not in QUOTES):
                self.spans.append((self.__dict__.get("_open") or 0, len(token)))
        self.__dict__[name] = value


def split_words(line: str) -> list[Word]:
    """Split a command line into words, as a POSIX shell would.

    Raises:
        UsageError: a quote is not closed.

    Example:
        >>> [w.text for w in split_words('get ULabel name="Candidate marker study 1"')]
        ['get', 'ULabel', 'name=Candidate marker study 1']
    """
    lexer = _Lexer(line)
    words = []
    while True:
        lexer.spans = []
        try:
            token = lexer.get_token()
        except ValueError as exc:
            raise UsageError(f"{exc} in: {line.strip()}") from None
        if token is None:
            return words
        words.append(Word(token, tuple(lexer.spans)))


def _quoted_suggestion(word: Word) -> str:
    # the word as it would work: its value (after an unquoted =) in quotes
    eq = word.find_unquoted("=")
    key, value = (word.text[: eq + 1], word.text[eq + 1 :]) if eq > 0 else ("", word.text)
    quote = "'" if '"' in value else '"'
    return f"{key}{quote}{value}{quote}"


def check_brackets(words: list[Word]) -> None:
    """Make sure that every ``(``, ``[`` and ``{`` outside quotes is closed, in order.

    Parentheses may span words (``( name=a | name=b )``); ``{{`` and ``}}`` are a
    literal brace. A lone bracket is a ``UsageError`` that names it and says how to
    write it as text. (IPython itself stumbled over them: it read the line as Python
    to find a trailing ``;``.)

    Raises:
        UsageError: ``'[' in '[T' is not closed: close it, or put text with brackets in
            quotes, as in "[T"``.
    """
    stack: list[tuple[str, Word]] = []
    for word in words:
        text = word.text
        i = 0
        while i < len(text):
            char = text[i]
            if word.is_quoted(i) or (char not in BRACKETS and char not in CLOSERS):
                i += 1
                continue
            if char in "{}" and text[i : i + 2] == char * 2 and not word.is_quoted(i + 1):
                i += 2  # {{ and }} write a literal brace
                continue
            if char in BRACKETS:
                stack.append((char, word))
            elif not stack:
                raise UsageError(
                    f"{char!r} in {text!r} closes nothing: put text with brackets in quotes, "
                    f"as in {_quoted_suggestion(word)}"
                )
            elif stack[-1][0] != CLOSERS[char]:
                opened = stack[-1][0]
                raise UsageError(
                    f"{char!r} in {text!r} does not close {opened!r}: close {opened!r} with "
                    f"{BRACKETS[opened]!r}, or put text with brackets in quotes"
                )
            else:
                stack.pop()
            i += 1
    if stack:
        char, word = stack[0]
        if char == "{":
            raise UsageError(
                f"'{{' in {word.text!r} is not closed: write {{var}} for a variable, {{{{ for a literal {{, "
                f"or quote the text, as in {_quoted_suggestion(word)}"
            )
        raise UsageError(
            f"{char!r} in {word.text!r} is not closed: close it, or put text with brackets in quotes, "
            f"as in {_quoted_suggestion(word)}"
        )


def open_quote(text: str) -> int:
    """The index of a quote that ``text`` opens and does not close, or -1 (for Tab completion)."""
    quote, start = None, -1
    for i, char in enumerate(text):
        if quote is None and char in QUOTES:
            quote, start = char, i
        elif char == quote:
            quote, start = None, -1
    return start


# -- options -------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    """An option of a subcommand.

    Attributes:
        name: ``"--limit"``.
        nargs: ``"flag"`` (no value), ``"one"``, ``"many"`` (values up to the next
            option or condition) or ``"flag+"`` (a flag that may take values).
        kind: what the values are, for parsing and Tab completion: ``"int"``,
            ``"path"`` (a field path), ``"order"`` (a path, ``-`` for descending),
            ``"field"`` (a field of the registry), ``"name"`` (an identifier),
            ``"text"``, ``"feature"``.
        help: one line for ``%ln help``.
    """

    name: str
    nargs: str
    kind: str
    help: str
    metavar: str = ""


def _option_value(option: Option, word: Word) -> Any:
    text = word.text
    if option.kind == "int":
        if text.lower() in ("none", "all"):
            return None
        value = int(text) if DIGITS.fullmatch(text) and len(text.lstrip("0")) <= 10 else 0
        if not 1 <= value <= MAX_LIMIT:
            raise UsageError(
                f"{option.name} must be a positive whole number (at most {MAX_LIMIT}) or none, got {text!r}"
            )
        return value
    if option.kind == "name" and (not text.isidentifier() or keyword.iskeyword(text)):
        raise UsageError(f"{option.name} takes a Python name, got {text!r}")
    return text


def parse_options(words: list[Word], options: Iterable[Option], command: str) -> tuple[dict[str, Any], list[Word]]:
    """Take the options out of ``words``.

    Returns:
        The options by name without dashes and with ``_`` for ``-``
        (``{"order_by": ["-created_at"], "limit": 50}``), and the other words in
        their order.

    Raises:
        UsageError: an unknown option (naming the closest), or one without its value.
    """
    table = {o.name: o for o in options}
    values: dict[str, Any] = {}
    rest: list[Word] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith_option():
            rest.append(word)
            continue
        name, sep, inline = word.text.partition("=")
        option = table.get(name)
        if option is None:
            valid = ", ".join(table) or "none"
            raise UsageError(
                f"%ln {command} has no option {name}.{closest_match_hint(name, table)} Options: {valid}"
            )
        key = name[2:].replace("-", "_")
        taken: list[Word] = [Word(inline)] if sep else []
        if option.nargs in ("one", "many", "flag+") and not sep:
            while i < len(words) and not words[i].startswith_option():
                if option.nargs != "one" and ("=" in words[i].text or words[i].text.startswith(tuple(OPERATORS))):
                    break  # a condition, not a value of the option
                taken.append(words[i])
                i += 1
                if option.nargs == "one":
                    break
        if option.nargs == "flag":
            if sep:
                raise UsageError(f"{name} takes no value")
            values[key] = True
        elif option.nargs == "flag+":
            values[key] = [_option_value(option, w) for w in taken] if taken else True
        elif not taken:
            what = option.metavar or option.kind
            raise UsageError(f"{name} needs a value: {name} {what}")
        elif option.nargs == "one":
            values[key] = _option_value(option, taken[0])
        else:
            values[key] = [_option_value(option, w) for w in taken]
    return values, rest


# -- values ----------------------------------------------------------------------


def _lookup_variable(expr: str, namespace: Mapping[str, Any], written: str) -> Any:
    try:
        # only a name with attributes or subscripts gets here (NAME_EXPR), never a call
        return eval(expr, {"__builtins__": {}}, namespace)  # noqa: S307
    except NameError as exc:
        name = getattr(exc, "name", None) or expr.split(".")[0].split("[")[0]
        names = [n for n in namespace if not n.startswith("_")]
        raise UsageError(
            f"{written}: there is no variable '{name}' in the notebook.{closest_match_hint(name, names)}"
        ) from None
    except Exception as exc:  # an attribute or key that is not there
        raise UsageError(f"{written}: {type(exc).__name__}: {exc}") from None


def expand_variables(text: str, namespace: Mapping[str, Any]) -> str:
    """Put ``str(var)`` in place of ``{var}`` and ``$var``; ``{{``, ``}}``, ``$$`` are literal.

    Example:
        >>> expand_variables("{folder}/x.h5ad", {"folder": "raw"})
        'raw/x.h5ad'
    """
    if "{" not in text and "}" not in text and "$" not in text:
        return text

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}", "$$"):
            return token[0]
        expr = match.group(1) or match.group(2)
        return str(_lookup_variable(expr, namespace, token))

    return INTERPOLATE.sub(replace, text)


def _split_list(word: Word) -> list[Word]:
    inner = word.slice(1, len(word.text) - 1)
    items, start, depth = [], 0, 0
    for i, char in enumerate(inner.text):
        if inner.is_quoted(i):
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(inner.slice(start, i))
            start = i + 1
    items.append(inner.slice(start))
    stripped = []
    for item in items:
        lead = len(item.text) - len(item.text.lstrip())
        trail = len(item.text.rstrip())
        item = item.slice(lead, trail)
        if item.text or item.any_quoted:
            stripped.append(item)
    return stripped


def parse_value(word: Word, namespace: Mapping[str, Any], text_field: bool = False, key: str = "") -> Any:
    """What a value means: a number, a bool, None, a list, a variable, or text.

    Args:
        word: The value as written.
        namespace: The notebook's variables, for ``{var}`` and ``$var``.
        text_field: The value is compared with a text field: an unquoted number stays text.
        key: The field it belongs to, for messages.

    Example:
        >>> parse_value(Word("1e4"), {})
        10000.0
        >>> parse_value(Word("[.jpg,.fastq.gz]"), {})
        ['.jpg', '.fastq.gz']
    """
    text = word.text
    if text.startswith("[") and not word.is_quoted(0):
        if not text.endswith("]") or word.is_quoted(len(text) - 1):
            raise UsageError(f"{key}={text}: a list ends with ']', as in {key or 'field'}__in=[a,b]")
        return [parse_value(item, namespace, text_field, key) for item in _split_list(word)]
    if word.any_quoted:
        return expand_variables(text, namespace)
    if text == "":
        raise UsageError(f"{key}= has no value: write {key}=\"\" for empty text or {key}=None")
    match = WHOLE_BRACE.fullmatch(text) or WHOLE_DOLLAR.fullmatch(text)
    if match:
        return _lookup_variable(match.group(1), namespace, text)
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    if not text_field:
        if INT.fullmatch(text):
            return int(text)
        if FLOAT.fullmatch(text):
            return float(text)
    return expand_variables(text, namespace)


# -- registries and fields ---------------------------------------------------------


def find_registry(name: str) -> type:
    """The registry called ``name`` (``ULabel``, ``ln.ULabel``, ``bt.CellType``, ``ulabel``):
    ``lamindb_core.introspect.registry_by_name``, its mistakes as ``UsageError``.

    Raises:
        UsageError: no such registry; names the closest and lists the others.
    """
    from lamindb_core.introspect import registry_by_name  # the ORM, with the first command, not %load_ext

    try:
        return registry_by_name(name)
    except NotFound as exc:
        raise UsageError(str(exc)) from None


def field_for_key(model: type, key: str) -> tuple[Any, str]:
    """The field that ``key`` compares and its lookup: ``("size__gt")`` → (size, ``"gt"``).

    Returns ``(None, "")`` where the key is not a field path; the library names
    the mistake when the query is built.
    """
    from lamindb_core.introspect import resolve_path  # the ORM, with the first command

    parts = key.split("__")
    for n in range(len(parts), 0, -1):
        try:
            found, _ = resolve_path(model, "__".join(parts[:n]))
        except FieldValidationError:
            continue
        return found, "__".join(parts[n:])
    return None, ""


def _is_text(model: type | None, key: str) -> bool:
    if model is None:
        return False
    from lamindb_core.introspect import is_text_field, lookups_for  # the ORM, with the first command

    found, lookup = field_for_key(model, key)
    # on a text field every lookup but isnull compares text (a transform such as
    # created_at__year compares something else): there, an unquoted 12345678 stays text
    return is_text_field(found) and lookup != "isnull" and (lookup == "" or lookup in lookups_for(found))


# -- conditions --------------------------------------------------------------------


@dataclass
class _Cond:
    key: str
    value: Word
    written: str


@dataclass
class _Node:
    op: str  # "and", "or", "not"
    children: list = field(default_factory=list)


def _split_operators(word: Word) -> list[Word | str]:
    """``~suffix=.jpg`` → ``["~", Word("suffix=.jpg")]``; quoted text and ``{...}``, ``[...]`` stay whole."""
    if word.fully_quoted:
        return [word]
    pieces: list[Word | str] = []
    start = 0
    depth = 0  # inside {...} or [...]
    parens = 0  # parentheses that belong to a value, as in name=f(x)
    text = word.text
    for i, char in enumerate(text):
        if word.is_quoted(i):
            continue
        if char in "{[":
            depth += 1
            continue
        if char in "}]":
            depth = max(depth - 1, 0)
            continue
        if depth:
            continue
        at_start = i == start
        if char in "|&" or (char in "~(" and at_start) or (char == ")" and parens == 0):
            if i > start:
                pieces.append(word.slice(start, i))
            pieces.append(char)
            start = i + 1
        elif char == "(":
            parens += 1
        elif char == ")":
            parens -= 1
    if start < len(text) or (start == 0 and word.any_quoted):
        pieces.append(word.slice(start))
    return pieces


def _condition(word: Word, ns: Mapping[str, Any]) -> _Cond:
    eq = word.find_unquoted("=")
    text = word.text
    if eq < 0:
        for symbol, lookup in ((">=", "gte"), ("<=", "lte"), (">", "gt"), ("<", "lt")):
            if symbol in text:
                left, _, right = text.partition(symbol)
                raise UsageError(f"{text!r}: write {left}__{lookup}={right}")
        raise UsageError(
            f"expected field=value, got {text!r} (quote values with spaces: name=\"{text} ...\")"
        )
    key = text[:eq]
    if key.endswith("!"):
        raise UsageError(f"{text!r}: write ~{key[:-1]}={text[eq + 1:]} to negate")
    if key.endswith(("<", ">")):
        lookup = {"<": "lte", ">": "gte"}[key[-1]]
        raise UsageError(f"{text!r}: write {key[:-1]}__{lookup}={text[eq + 1:]}")
    if not KEY.fullmatch(key) or word.any_quoted and any(s < eq for s, _ in word.quoted):
        raise UsageError(f"{text!r}: {key!r} is not a field name")
    return _Cond(key, word.slice(eq + 1), text)


def _items(words: list[Word]) -> list[Word | str]:
    """Words and operators; a quoted expression is opened up, bare words after a
    condition inside it continue its value (``"name=Candidate marker study 1 | ..."``)."""
    items: list[Word | str] = []
    for word in words:
        if word.fully_quoted and word.find_unquoted("=") < 0 and "=" in word.text:
            inner: list[Word | str] = []
            for piece in (p for w in split_words(word.text) for p in _split_operators(w)):
                previous = inner[-1] if inner else None
                if (
                    isinstance(piece, Word) and piece.find_unquoted("=") < 0
                    and isinstance(previous, Word) and previous.find_unquoted("=") >= 0
                ):
                    inner[-1] = previous.join(piece)
                else:
                    inner.append(piece)
            items.append("(")
            items.extend(inner)
            items.append(")")
        else:
            items.extend(_split_operators(word))
    return items


class _Parser:
    """Conditions joined by ``&`` (or nothing) bind tighter than ``|``; ``~`` negates."""

    def __init__(self, items: list[Word | str], ns: Mapping[str, Any]):
        self.items, self.pos, self.ns = items, 0, ns

    def peek(self):
        return self.items[self.pos] if self.pos < len(self.items) else None

    def parse(self):
        node = self.parse_or()
        if self.peek() is not None:
            raise UsageError(f"unexpected '{self.peek() if isinstance(self.peek(), str) else self.peek().text}'")
        return node

    def parse_or(self):
        children = [self.parse_and()]
        while self.peek() == "|":
            self.pos += 1
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else _Node("or", children)

    def parse_and(self):
        children = [self.parse_not()]
        while self.peek() not in (None, "|", ")"):
            if self.peek() == "&":
                self.pos += 1
            children.append(self.parse_not())
        return children[0] if len(children) == 1 else _Node("and", children)

    def parse_not(self):
        item = self.peek()
        if item is None:
            raise UsageError("a condition is missing at the end, after '|', '&' or '~'")
        self.pos += 1
        if item == "~":
            return _Node("not", [self.parse_not()])
        if item == "(":
            node = self.parse_or()
            if self.peek() != ")":
                raise UsageError("a '(' is not closed")
            self.pos += 1
            return node
        if isinstance(item, str):
            raise UsageError(f"unexpected '{item}': a condition field=value should come first")
        return _condition(item, self.ns)


def parse_conditions(
    words: list[Word], namespace: Mapping[str, Any], model: type | None
) -> tuple[list[Any], dict[str, Any]]:
    """``field=value`` words, maybe joined by ``|``, ``&``, ``~``, as ``filter`` arguments.

    Returns:
        ``Q`` objects and keyword arguments: conditions that are simply and-ed go
        into the keywords, the rest into ``Q`` objects.
    """
    from django.db.models import Q  # the ORM, with the first command, not %load_ext

    if not words:
        return [], {}
    tree = _Parser(_items(words), namespace).parse()

    def value_of(cond: _Cond) -> Any:
        return parse_value(cond.value, namespace, _is_text(model, cond.key), cond.key)

    def to_q(node) -> Q:
        if isinstance(node, _Cond):
            return Q(**{node.key: value_of(node)})
        qs = [to_q(child) for child in node.children]
        if node.op == "not":
            return ~qs[0]
        combined = qs[0]
        for q in qs[1:]:
            combined = combined | q if node.op == "or" else combined & q
        return combined

    top = tree.children if isinstance(tree, _Node) and tree.op == "and" else [tree]
    queries, expressions = [], {}
    for node in top:
        if isinstance(node, _Cond) and node.key not in expressions:
            expressions[node.key] = value_of(node)
        else:
            queries.append(to_q(node))
    return queries, expressions

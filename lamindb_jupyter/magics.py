"""The ``%ln`` line magic and ``%%ln`` cell magic: one dispatcher, one table of subcommands.

``%ln filter ULabel name__startswith=Cand`` runs ``ln.ULabel.filter(name__startswith="Cand")``
and returns its DataFrame; ``%ln help`` lists the subcommands, ``%ln help filter`` explains
one. ``%%ln`` runs one command per line and shows every result. Every mistake is a
``UsageError``: one line, no traceback.

Settings are traitlets of ``LnMagic``::

    %config LnMagic.limit = 50        # rows a query brings back and a table shows (default 100)
    %config LnMagic.features = True   # filter Artifact adds feature columns (default False)

The magic reads only: nothing it runs writes to a registry except ``%ln track``; ``%ln init``
and ``%ln connect`` set up and switch instances, so that a notebook needs no shell
(``!lamin-core init ...``) for its first cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import FieldError, MultipleObjectsReturned, ObjectDoesNotExist, ValidationError
from IPython.core.error import UsageError
from IPython.core.magic import (
    Magics,
    line_cell_magic,
    magics_class,
    needs_local_scope,
    no_var_expand,
)
from IPython.display import display
from traitlets import Bool, Int

# light: registries, Django's ORM and pandas come with the first command that uses them
import lamindb_core as ln
from lamindb_core.errors import InvalidArgument, SetupError, closest_match_hint
from lamindb_core.instance import current_slug, deactivate, ensure_django

from .parsing import (
    MAX_LIMIT,
    Option,
    Word,
    find_registry,
    parse_conditions,
    parse_options,
    check_brackets,
    expand_variables,
    parse_value,
    split_words,
)

__all__ = ["LnMagic", "Subcommand", "SUBCOMMANDS", "MORE_ROWS", "help_transformer"]

# set on a DataFrame the magic cut at its limit: display.py says that there is more
MORE_ROWS = "lamindb_jupyter.more_rows"

LIMIT = Option("--limit", "one", "int", "at most N records (default: LnMagic.limit; none for all)", "N")
FIELD = Option("--field", "many", "field", "the field(s) to use (default: the registry's name field)", "FIELD")


@dataclass(frozen=True)
class Subcommand:
    """One subcommand of ``%ln``: what it takes, its help, its handler.

    Attributes:
        name: ``"filter"``.
        args: the words after the name, for the usage line.
        summary: one line for ``%ln help``.
        details: a paragraph for ``%ln help <name>``.
        examples: lines a user can copy.
        registry: ``"required"``, ``"optional"`` or ``"none"``: whether the first
            word names a registry.
        positional: what the other words are, for Tab completion:
            ``"conditions"``, ``"idlike"``, ``"text"``, ``"instance"``,
            ``"subcommand"`` or ``"none"``.
        options: its options.
        handler: the ``LnMagic`` method that runs it, called as
            ``handler(magic, subcommand, words, options, namespace)``.
        uses_instance: whether it queries the current instance: ``%ln`` connects it
            first (a fresh kernel has not), so that the first command of a notebook
            may be ``%ln filter ...``. ``init``, ``connect``, ``info`` and ``help``
            do not: they must work before there is one to connect.
    """

    name: str
    args: str
    summary: str
    details: str
    examples: tuple[str, ...]
    registry: str
    positional: str
    options: tuple[Option, ...]
    handler: Callable[[LnMagic, Subcommand, list[Word], dict, dict], Any]
    uses_instance: bool = True

    @property
    def usage(self) -> str:
        """``%ln filter Registry field=value ... [--limit N]``."""
        parts = [f"%ln {self.name}", self.args]
        for option in self.options:
            value = {"flag": "", "one": f" {option.metavar}", "many": f" {option.metavar} ...",
                     "flag+": f" [{option.metavar} ...]"}[option.nargs]
            parts.append(f"[{option.name}{value}]")
        return " ".join(p for p in parts if p)

    def help(self) -> str:
        """The text of ``%ln help <name>``."""
        lines = [self.usage, "", self.summary + ".", self.details]
        if self.options:
            lines += ["", "Options:"]
            width = max(len(o.name) for o in self.options)
            lines += [f"  {o.name:<{width}}  {o.help}" for o in self.options]
        lines += ["", "Examples:", *(f"  {e}" for e in self.examples)]
        return "\n".join(lines)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that come from what the user typed: shown as a UsageError, without traceback."""
    from django.db import DatabaseError  # django.db loads with the first query, not with %load_ext

    return (
        InvalidArgument, SetupError, ObjectDoesNotExist, MultipleObjectsReturned,
        FieldError, ValidationError, DatabaseError, ValueError, TypeError, LookupError,
    )


@magics_class
class LnMagic(Magics):
    """``%ln`` and ``%%ln``: query lamindb_core registries; see ``%ln help``."""

    limit = Int(
        100, allow_none=True, min=0, max=MAX_LIMIT,
        help="Rows that %ln filter brings back and that a registry table shows (None: all).",
    ).tag(config=True)
    features = Bool(
        False, help="Whether %ln filter Artifact adds a column per feature, as --features does.",
    ).tag(config=True)

    # no @output_can_be_silenced: IPython's check for a trailing ; reads the line as Python,
    # and a lone bracket (%ln search ULabel [T cell) made it raise tokenize.TokenError
    # after the command had run; the magic looks for the ; itself
    @no_var_expand
    @needs_local_scope
    @line_cell_magic
    def ln(self, line: str, cell: str | None = None, local_ns: dict | None = None) -> Any:
        namespace = self._namespace(local_ns)
        if cell is None:
            command = _without_semicolon(line)
            result = self.run(command, namespace)
            return None if command != line else result  # a ; at the end silences the output
        commands = [(0, line)] if line.strip() else []
        commands += [(n, text) for n, text in enumerate(cell.splitlines(), start=1)]
        commands = [(n, text) for n, text in commands if text.strip() and not text.lstrip().startswith("#")]
        silenced = False
        if commands:  # a ; at the end silences the output, as in Python
            last = _without_semicolon(commands[-1][1])
            silenced = last != commands[-1][1]
            commands[-1] = (commands[-1][0], last)
        result = None
        for index, (number, text) in enumerate(commands):
            try:
                result = self.run(text, namespace)
            except UsageError as exc:
                raise UsageError(f"line {number}: {exc}") from None
            if result is not None and index < len(commands) - 1:
                display(result)
        return None if silenced else result

    def _namespace(self, local_ns: dict | None) -> dict:
        user_ns = self.shell.user_ns if self.shell is not None else {}
        if local_ns is None or local_ns is user_ns:
            return user_ns
        return {**user_ns, **local_ns}

    def run(self, line: str, namespace: dict | None = None) -> Any:
        """Run one command, ``"filter ULabel name=DMSO"``; returns its result.

        Raises:
            UsageError: the command is wrong, or the library refused it; one line.
        """
        namespace = self._namespace(None) if namespace is None else namespace
        words = split_words(line)
        check_brackets(words)
        if not words:
            print(overview())
            return None
        name = words[0].text
        sub = SUBCOMMANDS.get(name)
        if sub is None:
            raise UsageError(
                f"unknown subcommand '{name}'.{closest_match_hint(name, SUBCOMMANDS)} "
                f"Subcommands: {', '.join(SUBCOMMANDS)} (%ln help)"
            )
        rest = words[1:]
        if any(w.text in ("--help", "-h") and not w.any_quoted for w in rest):
            print(sub.help())
            return None
        try:
            options, rest = parse_options(rest, sub.options, name)
            if sub.uses_instance:
                ensure_django()  # in a fresh kernel nothing has configured the current instance yet
            return sub.handler(self, sub, rest, options, namespace)
        except UsageError as exc:
            if sub.name == "init":
                raise _init_failed(str(exc), library=False) from None
            raise
        except _user_errors() as exc:
            if sub.name == "init":
                raise _init_failed(_one_line(exc), library=True) from None
            raise UsageError(_one_line(exc)) from None

    # -- helpers -------------------------------------------------------------------

    @staticmethod
    def _registry(sub: Subcommand, words: list[Word]) -> tuple[type | None, list[Word]]:
        first = words[0] if words else None
        if first is None or first.any_quoted or "=" in first.text or first.text.startswith(tuple("{$~(|&")):
            if sub.registry == "required":
                example = sub.examples[0]
                raise UsageError(f"%ln {sub.name} needs a registry first, as in: {example}")
            return None, words
        return find_registry(first.text), words[1:]

    @staticmethod
    def _no_more(sub: Subcommand, words: list[Word]) -> None:
        if words:
            raise UsageError(f"%ln {sub.name} does not take {words[0].text!r}; usage: {sub.usage}")

    # -- subcommands ---------------------------------------------------------------

    def do_filter(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> Any:
        """``ln.Registry.filter(...).order_by(...)[:limit].df(include, features)``."""
        from lamindb_core.dataframe import LIMITED, first_rows  # the ORM, with the first command

        model, words = self._registry(sub, words)
        queries, expressions = parse_conditions(words, ns, model)
        qs = model.filter(*queries, **expressions)
        # QuerySet.df() orders by id; slicing needs the order first
        qs = qs.order_by(*(options.get("order_by") or ["id"]))
        limit = options.get("limit", self.limit)
        features = options.get("features", False)
        if "features" not in options and self.features and issubclass(model, ln.Artifact):
            features = True
        # when more records match, df.attrs["limited"] holds (limit, total, exact): "the first 100 of 2,340"
        df = first_rows(qs, limit, include=options.get("include"), features=features)
        if df.attrs.get(LIMITED):
            df.attrs[MORE_ROWS] = True  # and the note says how to bring more: --limit
        return df

    def do_get(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> Any:
        """``ln.Registry.get(idlike, **fields)``."""
        model, words = self._registry(sub, words)
        # a uid never holds "=": a word with one is a condition, quoted or not
        idlikes = [w for w in words if "=" not in w.text]
        conditions = [w for w in words if "=" in w.text]
        if len(idlikes) > 1:
            raise UsageError(f"%ln get takes one uid or id, got {', '.join(w.text for w in idlikes)}")
        queries, expressions = parse_conditions(conditions, ns, model)
        if queries:
            raise UsageError("%ln get takes field=value conditions; for |, & and ~ use %ln filter")
        if not idlikes and not expressions:
            raise UsageError(f"%ln get needs a uid, an id or field=value, as in: {sub.examples[0]}")
        idlike = parse_value(idlikes[0], ns) if idlikes else None
        if idlike is not None and not isinstance(idlike, (int, str)) or isinstance(idlike, bool):
            raise UsageError(f"%ln get takes a uid (text) or an id (a number), got {idlike!r}")
        return model.get(idlike, **expressions)

    def do_search(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> Any:
        """``ln.Registry.search(text, field=..., limit=...)``."""
        model, words = self._registry(sub, words)
        if not words:
            raise UsageError(f"%ln search needs a text, as in: {sub.examples[0]}")
        # text as written: [a,b] is no list here, True no bool; only variables are put in
        text = " ".join(expand_variables(w.text, ns) for w in words)
        kwargs: dict[str, Any] = {}
        if "field" in options:
            fields = options["field"]
            kwargs["field"] = fields[0] if len(fields) == 1 else fields
        if "limit" in options:
            kwargs["limit"] = options["limit"]
        if options.get("case_sensitive"):
            kwargs["case_sensitive"] = True
        return model.search(text, **kwargs)

    def do_lookup(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """``NAME = ln.Registry.lookup(field=..., return_field=...)``."""
        from lamindb_core.introspect import plural_name, python_name  # the ORM, with the first command

        model, words = self._registry(sub, words)
        self._no_more(sub, words)
        kwargs = {k: options[k] for k in ("field", "return_field") if k in options}
        lookup = model.lookup(**kwargs)
        name = options.get("as") or plural_name(model)
        self.shell.user_ns[name] = lookup
        print(f"→ {name} = {python_name(model)}.lookup(): Tab-complete {name}.<Tab> or {name}[\"<Tab>")

    def do_view(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """``ln.view()``, ``ln.view(registries=[...])`` or ``ln.view(df)``."""
        from lamindb_core.overview import HIDDEN  # the ORM, with the first command

        kwargs = {"limit": options["limit"]} if options.get("limit") is not None else {}
        if words and words[0].text.startswith(("{", "$")) and not words[0].any_quoted:
            value = parse_value(words[0], ns)
            self._no_more(sub, words[1:])
            if not hasattr(value, "attrs"):
                raise UsageError(f"%ln view {words[0].text}: expected a DataFrame, got {type(value).__name__}")
            ln.view(value)
            return None
        model, words = self._registry(sub, words)
        self._no_more(sub, words)
        if model is None:
            ln.view(**kwargs)
        elif model.__name__ in HIDDEN or not model.filter().exists():
            print(f"{model.__name__}: nothing to view (view leaves out empty registries and {', '.join(sorted(HIDDEN))}); "
                  f"try %ln filter {model.__name__}")
        else:
            ln.view(registries=[model.__name__], **kwargs)
        return None

    def do_browse(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> Any:
        """``lamindb_jupyter.widgets.browse(registry)``."""
        model, words = self._registry(sub, words)
        self._no_more(sub, words)
        try:
            # ipywidgets: an optional dependency (the jupyter extra), and slow to import
            from .widgets import browse
        except ModuleNotFoundError as exc:
            if exc.name != "ipywidgets":
                raise
            raise UsageError("%ln browse needs ipywidgets, which is not installed: pip install ipywidgets") from None
        return browse(registry=model)

    def do_track(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """``ln.track(uid)``: the one subcommand that writes."""
        if len(words) > 1:
            raise UsageError(f"%ln track takes at most one uid; usage: {sub.usage}")
        uid = expand_word(words[0], ns) if words else None
        ln.track(uid)

    def do_init(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """``ln.setup.init(storage, db=..., name=..., modules=...)``."""
        self._no_more(sub, words)
        if "storage" not in options:
            raise UsageError(f"%ln init needs --storage FOLDER, as in: {sub.examples[0]}")
        # {var} and $var put in a notebook variable, as everywhere in %ln
        text = {k: expand_variables(options[k], ns) for k in ("storage", "db", "name") if k in options}
        modules = [m for value in options.get("modules", ()) for m in value.split(",") if m]
        ln.setup.init(
            storage=text["storage"], db=text.get("db"), name=text.get("name"), modules=modules or None,
        )

    def do_connect(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """``ln.setup.connect(owner/name)``."""
        if len(words) != 1:
            raise UsageError(f"usage: {sub.usage}")
        ln.setup.connect(expand_word(words[0], ns))

    def do_info(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """Print ``ln.setup.settings``."""
        self._no_more(sub, words)
        try:
            print(ln.setup.settings)
        except SetupError as exc:  # after a failed init or connect: say so, it is no mistake
            print(f"Current instance: none ({_one_line(exc)})\n{_user_line(ln.setup.settings.user)}")

    def do_help(self, sub: Subcommand, words: list[Word], options: dict, ns: dict) -> None:
        """Print the overview or one subcommand's help."""
        if not words:
            print(overview())
            return
        name = words[0].text
        if name not in SUBCOMMANDS:
            raise UsageError(
                f"unknown subcommand '{name}'.{closest_match_hint(name, SUBCOMMANDS)} "
                f"Subcommands: {', '.join(SUBCOMMANDS)}"
            )
        print(SUBCOMMANDS[name].help())


# below LnMagic: each subcommand holds its handler, the method itself, not its name, so a
# subcommand whose handler is missing or misspelt fails when the module is imported
SUBCOMMANDS: dict[str, Subcommand] = {
    s.name: s
    for s in (
        Subcommand(
            "filter", "Registry [field=value ...]",
            "Records that match all conditions, as a DataFrame",
            "Conditions are field=value or field__lookup=value (__gt, __in, __startswith, ...), also\n"
            "through relations (created_by__handle=...); | (or), & (and), ~ (not) and parentheses\n"
            "combine them, bare or in quotes. Runs ln.Registry.filter(...).order_by(...).df(...).",
            (
                "%ln filter Artifact suffix=.h5ad size__gt=1e4",
                '%ln filter Artifact "suffix=.jpg | suffix=.fastq.gz" --order-by -created_at',
                "%ln filter Artifact suffix__in=[.jpg,.fastq.gz] --include ulabels__name",
                "%ln filter Artifact ulabels={study1} --features",
                "df = %ln filter ULabel name__startswith=Cand --limit 10",
            ),
            "required", "conditions",
            (
                Option("--include", "many", "path", "related fields as extra columns (ulabels__name)", "PATH"),
                Option("--features", "flag+", "feature", "feature columns, all or the named ones (Artifact)", "NAME"),
                Option("--order-by", "many", "order", "order by these fields, -field for descending (default: id)", "[-]FIELD"),
                LIMIT,
            ),
            LnMagic.do_filter,
        ),
        Subcommand(
            "get", "Registry <uid|id|field=value ...>",
            "Exactly one record, by uid, uid stub, id or field=value",
            "Runs ln.Registry.get(...); no match or several matches is an error that says so.",
            (
                "%ln get ULabel C5PU6WG7",
                '%ln get ULabel name="Candidate marker study 1"',
                "record = %ln get Artifact key=raw/my_fastq.fastq",
            ),
            "required", "idlike", (), LnMagic.do_get,
        ),
        Subcommand(
            "search", "Registry text",
            "Records ranked by how well they match a text, with a score",
            "Runs ln.Registry.search(text, field=..., limit=...): a QuerySet, best match first, that\n"
            "shows as a table with a score (its .df() has every field). The words after the registry\n"
            "are the text as written ({var} and $var put in a variable, {{ is a literal {);\n"
            'put text with brackets in quotes: %ln search ULabel "[T cell".',
            ('%ln search ULabel "cand marker"', '%ln search Artifact iris --field key --limit 5',
             '%ln search ULabel "[T cell"'),
            "required", "text",
            (FIELD, LIMIT, Option("--case-sensitive", "flag", "", "match upper and lower case exactly")),
            LnMagic.do_search,
        ),
        Subcommand(
            "lookup", "Registry",
            "Bind a lookup object whose attributes are the values of a field",
            "Runs NAME = ln.Registry.lookup(field=..., return_field=...); then NAME.<Tab> completes\n"
            "the values (default NAME: the registry's name in plural, ulabels for ULabel).",
            ("%ln lookup ULabel", "%ln lookup ULabel --field name --as labels"),
            "required", "none",
            (
                Option("--field", "one", "field", "the field whose values become attributes", "FIELD"),
                Option("--return-field", "one", "field", "return this field instead of the record", "FIELD"),
                Option("--as", "one", "name", "the variable to bind", "NAME"),
            ),
            LnMagic.do_lookup,
        ),
        Subcommand(
            "view", "[Registry | {dataframe}]",
            "The latest records of every registry, of one, or a DataFrame with its dtypes",
            "Runs ln.view(), ln.view(registries=[...]) or ln.view(df).",
            ("%ln view", "%ln view Artifact --limit 3", "%ln view {df}"),
            "optional", "none", (Option("--limit", "one", "int", "records per registry (default 7)", "N"),),
            LnMagic.do_view,
        ),
        Subcommand(
            "browse", "[Registry]",
            "A widget to page through, search and filter a registry",
            "Runs lamindb_jupyter.widgets.browse(registry).",
            ("%ln browse", "%ln browse Artifact"),
            "optional", "none", (), LnMagic.do_browse,
        ),
        Subcommand(
            "track", "[uid]",
            "Track this notebook: a Transform and a new Run (the one command that writes)",
            "Runs ln.track(uid); records saved afterwards point to the run.",
            ("%ln track", "%ln track pd7UR7Z8hoTq0000"),
            "none", "idlike", (), LnMagic.do_track,
        ),
        Subcommand(
            "init", "--storage FOLDER",
            "Create an instance and connect to it (no shell needed)",
            "Runs ln.setup.init(storage=..., db=..., name=..., modules=...), as lamin-core init does:\n"
            "an embedded SQLite instance in FOLDER (relative to the notebook's folder), or one on a\n"
            "PostgreSQL server with --db. Running it again connects to the instance it made. If it\n"
            "fails, the kernel uses no instance until %ln init or %ln connect succeeds: the cells\n"
            "after it never write into the instance used before.",
            (
                "%ln init --storage ./test-registries --modules bionty",
                "%ln init --storage ./mydata --db postgresql://postgres@127.0.0.1:5432/mydb",
            ),
            "none", "none",
            (
                Option("--storage", "one", "text", "the storage folder; created if missing (required)", "FOLDER"),
                Option("--db", "one", "text", "a PostgreSQL URL (default: SQLite in the storage folder)", "URL"),
                Option("--name", "one", "text", "the instance's name (default: the storage folder's name)", "NAME"),
                Option("--modules", "many", "module", "extra registries: bio (also: bionty)", "MODULE"),
            ),
            LnMagic.do_init, uses_instance=False,
        ),
        Subcommand(
            "connect", "owner/name",
            "Connect to another registered instance",
            "Runs ln.setup.connect(owner/name).",
            ("%ln connect testuser1/test-registries",),
            "none", "instance", (), LnMagic.do_connect, uses_instance=False,
        ),
        Subcommand(
            "info", "",
            "The current instance, its storage, database and user",
            "Prints ln.setup.settings; after a failed init or connect, that no instance is in use and why.",
            ("%ln info",),
            "none", "none", (), LnMagic.do_info, uses_instance=False,
        ),
        Subcommand(
            "help", "[subcommand]",
            "This overview, or the options and examples of one subcommand",
            "",
            ("%ln help", "%ln help filter"),
            "none", "subcommand", (), LnMagic.do_help, uses_instance=False,
        ),
    )
}

VALUES_HELP = """\
Values mean what they look like: numbers (size__gt=1e4), True/False/None, "quoted text",
bare words (suffix=.h5ad), lists (suffix__in=[.jpg,.fastq.gz]), and the notebook's variables
as {var} or $var (ulabels={study1}). Brackets outside quotes pair up: quote text with a lone
one (name="[T cell"). --limit N takes a whole number. %%ln runs one command per line."""


def overview() -> str:
    """The text of ``%ln help``."""
    width = max(len(name) for name in SUBCOMMANDS)
    lines = ["%ln: query lamindb_core registries (ln = lamindb_core); read-only except track, init and connect.", ""]
    for sub in SUBCOMMANDS.values():
        lines.append(f"  {sub.name:<{width}}  {sub.summary}")
        lines.append(f"  {'':<{width}}    {sub.examples[0]}")
    lines += [
        "",
        VALUES_HELP,
        "Settings: %config LnMagic.limit = 50 (rows, default 100), %config LnMagic.features = True.",
        "%ln help <subcommand> (or %ln <subcommand>?) shows its options and more examples.",
    ]
    return "\n".join(lines)


HELP_SUFFIX = re.compile(r"^(\s*%ln)\s+([A-Za-z_]+)\s*\?{1,2}\s*$")


def help_transformer(lines: list[str]) -> list[str]:
    """``%ln filter?`` means ``%ln help filter`` (IPython would show Python's ``filter``).

    An input transformer (``ipython.input_transformers_cleanup``), added on load.
    """
    result = []
    for line in lines:
        match = HELP_SUFFIX.match(line) if "%ln" in line else None
        if match:
            line = f"{match.group(1)} help {match.group(2)}" + ("\n" if line.endswith("\n") else "")
        result.append(line)
    return result


def _user_line(user: Any) -> str:
    return f"User: {user.handle} ({user.name}, uid {user.uid})"


def _init_failed(reason: str, library: bool) -> UsageError:
    """The error of a failed ``%ln init``, after leaving the kernel with no instance.

    ``ln.setup.init`` has done that itself when it failed (``library``); a mistake
    in the command's words does the same here, so that every failed ``%ln init``
    leaves the kernel as a failed ``ln.setup.init`` does: the next cells cannot
    write into the instance used before, nor create a default one.
    """
    previous = current_slug()
    if not library:
        deactivate(
            f"%ln init failed: {reason}; this process has no instance until %ln init or %ln connect "
            f"(ln.setup.init, ln.setup.connect) succeeds"
            + (f" (the last connected instance was {previous})" if previous else "")
        )
    return UsageError(
        f"{reason}; this kernel uses no instance until %ln init or %ln connect succeeds"
        + (f" (the last connected instance was {previous})" if previous else "")
    )


def _without_semicolon(line: str) -> str:
    # `%ln ...;` shows no output (the magic returns None); the ; is not part of the command
    stripped = line.rstrip()
    return stripped[:-1] if stripped.endswith(";") else line


def expand_word(word: Word, ns: dict) -> str:
    """A word as text, with ``{var}`` and ``$var`` put in."""
    return str(parse_value(word, ns, text_field=True))


LnMagic.ln.__doc__ = overview()

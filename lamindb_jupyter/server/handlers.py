"""REST handlers of the Jupyter server extension: instances, registries, pages of records, one record.

Every route is under ``<base_url>/lamindb/`` and needs the server's
authentication (token or cookie), as every Jupyter API does::

    GET /lamindb/instances
        {"current": "owner/name", "instances": [{"slug": "owner/name", "db": "sqlite", ...}]}
    GET /lamindb/kernels/<kernel id>/instance
        {"kernel": "<kernel id>", "instance": "owner/name", "source": "kernel"}
    GET /lamindb/registries
        {"instance": "owner/name", "registries": [{"name": "ULabel", "module": "core", "fields": [...],
         "help": {"name": "Unique name of the label, ...", ...}, ...}]}
    GET /lamindb/registries/ULabel/records?q=Cand&offset=0&limit=20&name__startswith=Cand
        {"registry": "ULabel", "records": [{"id": 3, "uid": ..., "name": ...}], "has_more": false,
         "total": 1, "offset": 0, "limit": 20, "columns": [...]}
    GET /lamindb/registries/ULabel/records/C5PU6WG7
        {"registry": "ULabel", "id": 3, "path": null, "fields": [...], "relations": [...], "describe": "..."}
    GET /lamindb/registries/Artifact/records/Wd3Fm2Zk/lineage?distance=5&with_children=true
        {"registry": "Artifact", "id": 12, "focus": "artifact:12", "nodes": [{"id": "artifact:12",
         "registry": "Artifact", "uid": ..., "label": ..., "stale": false, "note": "", "record_id": 12}],
         "edges": [{"source": "run:3", "target": "artifact:12"}], "more": 0, "layout": {...}, "svg": "<svg ..."}

The instance a kernel uses is the one it connected to last (``ln.setup.connect``,
``ln.setup.init``, or its first query), which the kernel's process notes in the config
folder (``lamindb_core.instance.record_process_instance``); a kernel that has not used
one yet will use the current instance (``"source": "current"``). Every route that
reads records takes ``instance=owner/name`` to read that instance instead of the
current one, without changing which instance is current.

Records are sorted by ``order_by=name`` or ``order_by=-created_at`` (a filter field,
``-`` for descending; several separated by commas), newest first among equals.

Filters are query arguments ``field`` or ``field__<lookup>``, passed to Django as they
are: ``name__startswith=Cand`` is ``.filter(name__startswith="Cand")``, case-sensitive;
``name__istartswith``, ``name__icontains``, ``created_at__gte``, ``id__in=3,5``,
``description__isnull=true`` and every other lookup that Django has for the field work
too, and ``field__ne`` (not equal) excludes. A field is one that the registry offers
(``fields`` in ``/lamindb/registries``, which also lists the lookups the panel offers
for each); an unknown field or lookup is a 400 that names the valid ones. Values are
converted to the field's type: ``in`` takes a list separated by commas, ``range`` two
values, ``isnull`` true or false.

Numbers (``offset``, ``limit``, a record id, a value on an integer field) are written
with the digits 0-9 and fit in a bigint. A database that cannot be read (a SQLite file
overwritten, a PostgreSQL database gone) is a 503 that says why. The database is only
read, in one worker thread, so a slow query never blocks the server's event loop.
"""

from __future__ import annotations

import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from django.conf import settings as django_settings
from django.db import DatabaseError, DataError, IntegrityError, close_old_connections, connections
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop
from traitlets import Bool, Integer
from traitlets.config import Configurable

import lamindb_core as ln
from lamindb_core import browsing, errors, introspect
from lamindb_core.instance import (
    activate,
    current_slug,
    ensure_connected,
    ensure_django,
    list_instances,
    load_instance,
    process_instance,
)

__all__ = ["LaminDBServer", "setup_handlers"]

NAMESPACE = "lamindb"
# query arguments that are not filters
RESERVED = {"q", "offset", "limit", "include", "features", "count", "order_by", "instance"}


class LaminDBServer(Configurable):
    """Settings of the server extension (``c.LaminDBServer.<name>`` in ``jupyter_server_config.py``)."""

    follow_current_instance = Bool(
        True,
        help="Switch to the instance that is current in the config folder before each request, "
        "so the panel follows ln.setup.connect() in a notebook. Off: keep the first instance used.",
    ).tag(config=True)
    default_limit = Integer(20, help="Records per page when a request gives no limit.").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # one thread: Django connections are per thread, and reads one at a time are plenty
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lamindb-server")
        # the instance used without an explicit one (kept when not following the current one),
        # and whether a request for an explicit instance has switched away from it
        self._default: str | None = None
        self._switched = False

    def prepare_instance(self, slug: str | None = None) -> str:
        """Make sure the process uses ``slug``, or else its default instance (the current one
        when following it); return its ``owner/name``. Neither changes which instance is
        current in the config folder.

        Raises:
            ln.errors.SetupError: no instance is set up, or the one asked for is gone.
        """
        in_use = self._in_use()
        if self._default is None and in_use is not None and not self.follow_current_instance:
            self._default = in_use  # the first instance used is the one to keep
        if slug:
            target = load_instance(slug).slug  # raises InstanceNotFound, naming the instances that exist
        elif self.follow_current_instance or self._default is None:
            target = current_slug()
            if target is None:
                raise errors.SetupError(
                    "no lamindb-core instance is set up: run ln.setup.init(storage=...) in a notebook "
                    "or `lamin-core init --storage ...` in a terminal"
                )
        else:
            target = self._default
        if in_use != target:
            settings = load_instance(target)
            if slug or self._switched:
                activate(settings, remember=False)
                ensure_connected()
            else:
                ln.setup.connect(target)
            self._switched = bool(slug)
        close_old_connections()
        if self._default is None and not self.follow_current_instance:
            self._default = ln.setup.settings.instance.slug
        return ln.setup.settings.instance.slug

    @staticmethod
    def _in_use() -> str | None:
        if not django_settings.configured:
            return None
        try:
            ensure_django()
            return ln.setup.settings.instance.slug
        except errors.SetupError:
            return None  # an earlier connect failed: try again, the instance may be back

    def run(self, func: Callable[..., Any], *args: Any, instance: str | None = None) -> Any:
        """Run ``func(*args)`` in the database thread, after ``prepare_instance(instance)``.

        Args:
            func: A function that reads the database, such as ``list_records``.
            *args: Its arguments.
            instance: The ``owner/name`` to read; None for the default instance.

        Returns:
            An awaitable of what ``func`` returns.

        Raises:
            DatabaseError: the database cannot be read; its connections are closed, so
                the next request connects again.
        """

        def call() -> Any:
            try:
                self.prepare_instance(instance)
                return func(*args)
            except (DatabaseError, sqlite3.DatabaseError):
                # reconnect on the next request: the database may be back by then
                connections.close_all()
                raise

        return IOLoop.current().run_in_executor(self.executor, call)


class BaseHandler(APIHandler):
    """JSON in, JSON out; library errors become 400, 404, 409 or 503 with their message.

    A request without the server's token or cookie is a 403, as for every Jupyter API.
    """

    @property
    def lamindb(self) -> LaminDBServer:
        """The server extension's settings and database thread (``setup_handlers`` made it)."""
        return self.settings["lamindb_server"]

    async def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """Run ``func(*args)`` in the database thread on the instance that the request's
        ``instance`` argument names (the default instance without one).

        Returns:
            What ``func`` returns.

        Raises:
            tornado.web.HTTPError: 404 for a registry or record that does not exist (or an
                unknown instance); 400 for a field, lookup or value that cannot be used, or
                one the database refused; 409 when no instance is set up; 503 when the
                instance's database or storage cannot be read.
        """
        instance = self.get_argument("instance", "").strip() or None
        try:
            return await self.lamindb.run(func, *args, instance=instance)
        except errors.NotFound as exc:
            raise web.HTTPError(404, str(exc)) from None
        except errors.InstanceUnavailable as exc:
            # registered, but its database or storage is gone: the instance is broken
            raise web.HTTPError(503, str(exc)) from None
        except errors.SetupError as exc:
            raise web.HTTPError(409, str(exc)) from None
        except errors.InvalidArgument as exc:
            raise web.HTTPError(400, str(exc)) from None
        except (DataError, IntegrityError) as exc:
            # a value the checks let through and the database refused; reading changes nothing
            raise web.HTTPError(400, f"the database refused a value of the request: {_one_line(exc)}") from None
        except (DatabaseError, sqlite3.DatabaseError) as exc:
            self.log.warning("lamindb_jupyter.server: the database cannot be read", exc_info=True)
            raise web.HTTPError(
                503,
                f"cannot read the database of instance {_instance_slug()}: {_one_line(exc)}. "
                "Restore its database, or connect to another instance.",
            ) from None

    def write_json(self, data: Any) -> None:
        """Finish the request with ``data`` as JSON; dates and other values as ``str()``."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    def int_argument(self, name: str, default: int, low: int, high: int) -> int:
        """The query argument ``name`` as a whole number from ``low`` to ``high``.

        Returns:
            The number, or ``default`` when the argument is missing or empty.

        Raises:
            tornado.web.HTTPError: 400 for anything but the digits 0-9 (with a sign), or a
                number out of range; the message says which.
        """
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return browsing.whole_number(raw, name, low, high)
        except browsing.QueryError as exc:
            raise web.HTTPError(400, str(exc)) from None

    def bool_argument(self, name: str, default: bool) -> bool:
        """The query argument ``name`` as a boolean: ``true``/``false``, ``yes``/``no``, ``1``/``0``.

        Returns:
            The boolean, or ``default`` when the argument is missing or empty.

        Raises:
            tornado.web.HTTPError: 400 for another word.
        """
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return default
        if raw.lower() in browsing.TRUE_WORDS:
            return True
        if raw.lower() in browsing.FALSE_WORDS:
            return False
        raise web.HTTPError(400, f"{name} must be true or false, got {raw!r}")


class InstancesHandler(BaseHandler):
    """``GET /lamindb/instances``: the registered instances, for the panel's picker."""

    @web.authenticated
    async def get(self) -> None:
        """Answer ``list_instances_json()``.

        Raises:
            tornado.web.HTTPError: 403 without the server's token or cookie.
        """
        self.write_json(list_instances_json())


def list_instances_json() -> dict[str, Any]:
    """The instances registered in the config folder, and which one is current.

    Only the config folder is read, no database, so an instance whose database is gone
    is listed too.

    Returns:
        ``{"current": "owner/name" or None, "instances": [{"slug", "owner", "name",
        "storage", "db"}, ...]}``; ``db`` is the SQLite file as a ``sqlite:///`` URL, or
        the PostgreSQL URL without its password.
    """
    return {
        "current": current_slug(),
        "instances": [
            {"slug": s.slug, "owner": s.owner, "name": s.name, "storage": s.storage, "db": s.db_display}
            for s in list_instances()
        ],
    }


class KernelInstanceHandler(BaseHandler):
    """``GET /lamindb/kernels/<id>/instance``: the instance the kernel of a notebook uses."""

    @web.authenticated
    async def get(self, kernel_id: str) -> None:
        """Answer ``{"kernel": id, "instance": "owner/name", "source": "kernel" or "current"}``.

        ``source`` is ``"kernel"`` when the kernel has used an instance (it connected, set
        one up, or queried), ``"current"`` when it has not and will use the current one.

        Args:
            kernel_id: The id of a kernel of this server.

        Raises:
            tornado.web.HTTPError: 404 when no kernel of that id runs in this server;
                403 without the server's token or cookie.
        """
        manager = self.kernel_manager
        if kernel_id not in manager:
            raise web.HTTPError(404, f"no kernel {kernel_id!r} runs in this server")
        pid = kernel_pid(manager.get_kernel(kernel_id))
        slug = process_instance(pid) if pid is not None else None
        self.write_json({
            "kernel": kernel_id,
            "instance": slug or current_slug(),
            "source": "kernel" if slug else "current",
        })


def kernel_pid(kernel: Any) -> int | None:
    """The process id of a local kernel (None for a remote one: its notes are elsewhere)."""
    provisioner = getattr(kernel, "provisioner", None)
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        process = getattr(provisioner, "process", None)
        pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) else None


class RegistriesHandler(BaseHandler):
    """``GET /lamindb/registries``: the registries of the current instance."""

    @web.authenticated
    async def get(self) -> None:
        """Answer ``list_registries()`` for the instance of the ``instance`` argument.

        Raises:
            tornado.web.HTTPError: 404 for an unknown instance; 409 when none is set up;
                503 when its database cannot be read; 403 without the server's token or
                cookie.
        """
        self.write_json(await self.call(list_registries))


def list_registries() -> dict[str, Any]:
    """The registries of the instance in use, core first, as the panel needs them.

    Returns:
        ``{"instance": "owner/name", "registries": [...]}``, one
        ``lamindb_core.browsing.registry_info`` per registry: its filter fields with the
        lookups offered for each and what each holds (``help``), the relations it can
        include, whether it has features, how a notebook names it.
    """
    return {
        "instance": ln.setup.settings.instance.slug,
        "registries": [browsing.registry_info(model, name) for name, model in introspect.registries().items()],
    }


class RecordsHandler(BaseHandler):
    """``GET /lamindb/registries/<name>/records``: a page of records, searched and filtered."""

    @web.authenticated
    async def get(self, name: str) -> None:
        """Answer a page of records of the registry ``name``: ``list_records(...)``.

        Query arguments: ``q`` (a search text), ``offset``, ``limit``, ``include``,
        ``features``, ``count``, ``order_by``, ``instance``; every other argument is a
        filter, ``field`` or ``field__<lookup>`` (see the module's docstring).

        Args:
            name: A registry's name, ``ULabel`` or ``bio.CellType``.

        Raises:
            tornado.web.HTTPError: 400 for a bad number, boolean, field, lookup, value,
                include or order; 404 for an unknown registry or instance; 409 when no
                instance is set up; 503 when the database cannot be read; 403 without the
                server's token or cookie.
        """
        offset = self.int_argument("offset", 0, 0, browsing.MAX_OFFSET)
        limit = self.int_argument("limit", self.lamindb.default_limit, 1, browsing.MAX_LIMIT)
        features = self.bool_argument("features", False)
        include = [p for value in self.get_arguments("include") for p in value.split(",") if p.strip()]
        search = self.get_argument("q", "")
        count = self.bool_argument("count", not search.strip())
        order_by = [k for value in self.get_arguments("order_by") for k in value.split(",") if k.strip()]
        filters = [
            (key, value)
            for key in self.request.query_arguments
            # JupyterLab's ServerConnection adds a bare timestamp (?1795409286377) against caching
            if key not in RESERVED and not key.isdigit()
            for value in self.get_arguments(key, strip=False)
        ]
        self.write_json(
            await self.call(list_records, name, search, filters, offset, limit, include, features, count, order_by)
        )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _instance_slug() -> str:
    try:
        return ln.setup.settings.instance.slug
    except Exception:  # noqa: BLE001 - it only names the instance in a message about another error
        return "(unknown)"


def list_records(
    name: str,
    search: str,
    filters: list[tuple[str, str]],
    offset: int,
    limit: int,
    include: list[str],
    features: bool,
    count: bool,
    order_by: list[str] | None = None,
) -> dict[str, Any]:
    """A page of the records of the registry ``name``, searched, filtered and sorted.

    Args:
        name: A registry's name, ``ULabel`` or ``bio.CellType``.
        search: A text to rank records by (``Registry.search``); empty for none.
        filters: ``(key, value)`` pairs, ``("name__startswith", "Cand")``: Django lookups
            on the registry's filter fields; ``field__ne`` excludes.
        offset: The first record of the page.
        limit: Records per page.
        include: Related fields to add as columns, ``ulabels__name``.
        features: Add a column per feature (Artifact only).
        count: Count all matching records for ``total`` (one COUNT query); false leaves
            ``total`` None unless the page is the last one.
        order_by: Filter fields, ``-field`` for descending; newest first by default.

    Returns:
        ``{"registry", "instance", "order_by", "offset", "limit", "has_more", "total",
        "columns", "records"}``: ``columns`` start with ``id``, and each record is a
        dict of its columns' values as JSON.

    Raises:
        lamindb_core.errors.NotFound: no registry of that name.
        lamindb_core.browsing.QueryError: a filter, include, order, page or
            ``features`` the registry cannot take; the message names the valid ones.
    """
    model = introspect.registry_by_name(name)
    conditions = [browsing.parse_filter(model, key, value) for key, value in filters]
    allowed = set(browsing.include_paths(model))
    for path in include:
        if path not in allowed:
            raise browsing.QueryError(
                f"{model.__name__} cannot include {path!r}.{errors.closest_match_hint(path, allowed)} "
                f"Valid: {', '.join(sorted(allowed))}"
            )
    if features and not browsing.supports_features(model):
        raise browsing.QueryError(f"features=true is only available for Artifact, not for {model.__name__}")
    browsing.check_page(offset, limit)
    qs = browsing.build_query(model, search, conditions, search_limit=offset + limit + 1, order_by=order_by or ())
    page = browsing.fetch_page(qs, offset, limit, include, features, count=count)
    return {
        "registry": model.__name__,
        "instance": ln.setup.settings.instance.slug,
        "order_by": browsing.check_order(model, order_by or ()),
        "offset": page.offset,
        "limit": page.limit,
        "has_more": page.has_more,
        "total": page.total,
        "columns": ["id", *page.columns],
        "records": browsing.page_records(page),
    }


class RecordHandler(BaseHandler):
    """``GET /lamindb/registries/<name>/records/<id or uid>``: one record in detail."""

    @web.authenticated
    async def get(self, name: str, idlike: str) -> None:
        """Answer ``record_detail(name, idlike)``.

        Args:
            name: A registry's name, ``ULabel`` or ``bio.CellType``.
            idlike: A record's id, uid or uid stub.

        Raises:
            tornado.web.HTTPError: 404 for an unknown registry or record, or several
                records for a uid stub; 400 for an id out of range; 409 when no instance
                is set up; 503 when the database cannot be read; 403 without the server's
                token or cookie.
        """
        self.write_json(await self.call(record_detail, name, idlike))


def record_detail(name: str, idlike: str) -> dict[str, Any]:
    """One record of the registry ``name`` in detail, for the panel's detail pane.

    Args:
        name: A registry's name, ``ULabel`` or ``bio.CellType``.
        idlike: Its id, uid or uid stub.

    Returns:
        ``{"registry", "id", "uid", "label", "path", "fields", "relations", "describe"}``:
        ``path`` where an artifact's data is (``s3://bucket/lamin/.lamindb/<uid>.csv``, None
        for other records), ``fields`` as ``[{"name", "value"}]``, ``relations`` as ``[{"name", "registry",
        "many", "count", "records"}]``, ``describe`` the text of ``describe()``.

    Raises:
        lamindb_core.errors.NotFound: no such registry or record.
        lamindb_core.browsing.QueryError: an id out of range.
    """
    model = introspect.registry_by_name(name)
    return browsing.record_detail(browsing.get_record(model, idlike))


class LineageHandler(BaseHandler):
    """``GET /lamindb/registries/<name>/records/<id or uid>/lineage``: a record's lineage graph."""

    @web.authenticated
    async def get(self, name: str, idlike: str) -> None:
        """Answer ``record_lineage(name, idlike, distance, with_children, svg)``.

        Query arguments: ``distance`` (steps each way, 1 to 20, default 5),
        ``with_children`` (default true: what was made from the record too), ``svg``
        (default true: the drawing), ``instance``.

        Args:
            name: ``Artifact``, ``Collection``, ``Run`` or ``Transform``.
            idlike: A record's id, uid or uid stub.

        Raises:
            tornado.web.HTTPError: 404 for an unknown registry or record; 400 for a registry
                whose records have no lineage, or a bad distance or boolean; 409 when no
                instance is set up; 503 when the database cannot be read; 403 without the
                server's token or cookie.
        """
        distance = self.int_argument("distance", 5, 1, browsing.MAX_LINEAGE_DISTANCE)
        with_children = self.bool_argument("with_children", True)
        svg = self.bool_argument("svg", True)
        self.write_json(await self.call(record_lineage, name, idlike, distance, with_children, svg))


def record_lineage(name: str, idlike: str, distance: int = 5, with_children: bool = True,
                   svg: bool = True) -> dict[str, Any]:
    """The lineage of one record of the registry ``name``, for the panel's Lineage view.

    Args:
        name: ``Artifact``, ``Collection``, ``Run`` or ``Transform``.
        idlike: Its id, uid or uid stub.
        distance: Steps to follow each way.
        with_children: Follow what was made from the record too.
        svg: Add the drawing (an SVG document whose text is escaped; each box a
            ``<g class="lineage-node" data-id="artifact:12">``).

    Returns:
        ``lamindb_core.browsing.record_lineage``: ``{"registry", "id", "focus", "nodes",
        "edges", "more", "layout", "svg"}``.

    Raises:
        lamindb_core.errors.NotFound: no such registry or record.
        lamindb_core.browsing.QueryError: a registry without lineage, an id out of range.
    """
    model = introspect.registry_by_name(name)
    browsing.check_lineage(model)  # before the record: the registry is the problem, whatever the id
    record = browsing.get_record(model, idlike)
    return browsing.record_lineage(record, distance=distance, with_children=with_children, svg=svg)


def setup_handlers(web_app: Any, config: Any = None) -> LaminDBServer:
    """Add the routes under ``<base_url>/lamindb/`` to the server's tornado application.

    Args:
        web_app: The Jupyter server's tornado application.
        config: The server's traitlets config, for ``c.LaminDBServer.<setting>``.

    Returns:
        The ``LaminDBServer`` that the handlers share (``web_app.settings["lamindb_server"]``).
    """
    server = LaminDBServer(config=config)
    web_app.settings["lamindb_server"] = server
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    segment = r"([^/]+)"
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "instances"), InstancesHandler),
            (url_path_join(base, "kernels", segment, "instance"), KernelInstanceHandler),
            (url_path_join(base, "registries"), RegistriesHandler),
            (url_path_join(base, "registries", segment, "records"), RecordsHandler),
            (url_path_join(base, "registries", segment, "records", segment), RecordHandler),
            (url_path_join(base, "registries", segment, "records", segment, "lineage"), LineageHandler),
        ],
    )
    return server

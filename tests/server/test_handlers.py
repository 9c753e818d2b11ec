"""The REST API of the server extension, through a real Jupyter server (pytest-jupyter's jp_fetch)."""

from __future__ import annotations

import json

import pytest
from tornado.httpclient import HTTPClientError

# the names of the labels that conftest.rest_labels commits
PREFIX = "REST test "


async def get(jp_fetch, *parts, **params):
    response = await jp_fetch("lamindb", *parts, params=params or None, method="GET")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    return json.loads(response.body)


async def get_error(jp_fetch, *parts, **params) -> tuple[int, str]:
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lamindb", *parts, params=params or None, method="GET")
    body = json.loads(info.value.response.body)
    return info.value.code, body["message"]


async def test_registries_list_names_modules_and_fields(jp_fetch, instance):
    data = await get(jp_fetch, "registries")
    assert data["instance"] == instance.setup.settings.instance.slug
    by_name = {r["name"]: r for r in data["registries"]}
    assert {"Artifact", "ULabel", "Feature", "Run", "Transform"} <= set(by_name)
    # the registries %ln and the widget offer: User and Space too, never a link table
    assert {"User", "Space"} <= set(by_name) and "ArtifactULabel" not in by_name
    ulabel = by_name["ULabel"]
    assert ulabel["module"] == "core"
    assert ulabel["display_field"] == "name"
    assert "name" in ulabel["fields"] and "created_by__name" in ulabel["fields"]
    assert "parents__name" in ulabel["include"]
    assert ulabel["lookups"]["name"][0] == "icontains" and "startswith" in ulabel["lookups"]["name"]
    assert ulabel["lookups"]["is_concept"] == ["exact", "isnull"]
    assert by_name["User"]["display_field"] == "name" and by_name["Storage"]["display_field"] == "root"
    assert ulabel["features"] is False and by_name["Artifact"]["features"] is True


async def test_registries_give_each_filter_fields_help_text(jp_fetch, instance):
    # the panel shows them as tooltips of its field picker: the model fields' help_text
    data = await get(jp_fetch, "registries")
    by_name = {r["name"]: r for r in data["registries"]}
    ulabel, artifact = by_name["ULabel"], by_name["Artifact"]
    assert set(ulabel["help"]) == set(ulabel["fields"])
    assert ulabel["help"]["name"] == "Unique name of the label, e.g. 'Candidate marker study 1'."
    assert ulabel["help"]["created_by__name"] == (
        "The user who created the record: the current user by default. Its name: Full name."
    )
    assert artifact["help"]["key"].startswith("The artifact's path-like name, e.g. 'raw/reads.fastq.gz'")
    assert all(text for r in data["registries"] if r["module"] in ("core", "bio") for text in r["help"].values())


async def test_records_first_page_is_newest_first_with_total(jp_fetch, rest_labels):
    data = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, limit="10")
    assert data["registry"] == "ULabel"
    assert data["total"] == 26
    assert data["has_more"] is True
    names = [r["name"] for r in data["records"]]
    assert len(names) == 10
    assert names[0] == f"{PREFIX}<img src=x onerror=alert(1)>"
    assert names[1:3] == [f"{PREFIX}24", f"{PREFIX}23"]
    assert data["columns"][:3] == ["id", "uid", "name"]
    assert all(r["id"] > s["id"] for r, s in zip(data["records"], data["records"][1:]))


async def test_records_pages_cover_the_whole_query(jp_fetch, rest_labels):
    seen = []
    offset = 0
    while True:
        data = await get(
            jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, limit="7", offset=str(offset)
        )
        seen += [r["name"] for r in data["records"]]
        if not data["has_more"]:
            break
        offset += 7
    assert len(seen) == len(set(seen)) == 26
    assert data["total"] == 26 and data["offset"] == 21


async def test_records_search_finds_a_label_by_part_of_its_name(jp_fetch, rest_labels):
    data = await get(jp_fetch, "registries", "ULabel", "records", q=f"{PREFIX}17")
    assert [r["name"] for r in data["records"]][:1] == [f"{PREFIX}17"]


async def test_records_filters_by_operators(jp_fetch, rest_labels):
    ids = sorted(label.id for label in rest_labels)
    data = await get(
        jp_fetch, "registries", "ULabel", "records",
        name__startswith=PREFIX, id__gte=str(ids[5]), id__lt=str(ids[8]),
    )
    assert sorted(r["id"] for r in data["records"]) == ids[5:8]
    data = await get(jp_fetch, "registries", "ULabel", "records", name=f"{PREFIX}03")
    assert [r["name"] for r in data["records"]] == [f"{PREFIX}03"]
    data = await get(
        jp_fetch, "registries", "ULabel", "records", name__in=f"{PREFIX}01,{PREFIX}02", is_concept="false"
    )
    assert sorted(r["name"] for r in data["records"]) == [f"{PREFIX}01", f"{PREFIX}02"]


async def test_records_filters_are_django_lookups_passed_through(jp_fetch, rest_labels):
    # name__startswith is Django's: case-sensitive, as .filter(name__startswith=...) is
    data = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX)
    assert data["total"] == 26
    data = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX.lower())
    assert data["total"] == 0
    data = await get(jp_fetch, "registries", "ULabel", "records", name__istartswith=PREFIX.lower())
    assert data["total"] == 26
    data = await get(jp_fetch, "registries", "ULabel", "records", name__icontains="TEST 1", name__ne=f"{PREFIX}10")
    assert sorted(r["name"] for r in data["records"]) == [f"{PREFIX}{i}" for i in range(11, 20)]
    data = await get(jp_fetch, "registries", "ULabel", "records", name__contains="TEST 1")
    assert data["total"] == 0
    data = await get(jp_fetch, "registries", "ULabel", "records", name__regex=r"^REST test 0[12]$")
    assert sorted(r["name"] for r in data["records"]) == [f"{PREFIX}01", f"{PREFIX}02"]
    data = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, description__isnull="false")
    assert [r["description"] for r in data["records"]] == ["<b>bold</b>"]


async def test_records_ignore_jupyterlabs_cache_busting_timestamp(jp_fetch, rest_labels):
    response = await jp_fetch("lamindb", "registries", "ULabel", "records", params={"1795409286377": "", "name": f"{PREFIX}03"})
    assert [r["name"] for r in json.loads(response.body)["records"]] == [f"{PREFIX}03"]


async def test_records_include_relations_as_lists(jp_fetch, rest_labels):
    data = await get(
        jp_fetch, "registries", "ULabel", "records", name=f"{PREFIX}00", include="children__name,created_by__name"
    )
    (record,) = data["records"]
    assert record["children__name"] == [f"{PREFIX}01", f"{PREFIX}02"]
    assert isinstance(record["created_by__name"], str)


async def test_record_detail_by_id_and_uid(jp_fetch, rest_labels):
    parent = rest_labels[0]
    data = await get(jp_fetch, "registries", "ULabel", "records", str(parent.id))
    assert data["uid"] == parent.uid and data["label"] == parent.name
    assert {"name": "name", "value": parent.name} in data["fields"]
    children = next(r for r in data["relations"] if r["name"] == "children")
    assert children["count"] == 2 and children["many"] is True
    assert sorted(r["label"] for r in children["records"]) == [f"{PREFIX}01", f"{PREFIX}02"]
    assert data["describe"].startswith(f"ULabel {PREFIX}00")
    by_uid = await get(jp_fetch, "registries", "ULabel", "records", parent.uid)
    assert by_uid["id"] == parent.id


async def test_record_values_come_back_as_text_not_markup(jp_fetch, rest_labels):
    html_label = rest_labels[-1]
    data = await get(jp_fetch, "registries", "ULabel", "records", str(html_label.id))
    assert data["label"] == f"{PREFIX}<img src=x onerror=alert(1)>"
    assert {"name": "description", "value": "<b>bold</b>"} in data["fields"]


@pytest.mark.parametrize(
    ("parts", "params", "code", "message"),
    [
        (("ULabl", "records"), {}, 404, "no registry 'ULabl' in this instance. Did you mean 'ULabel'?"),
        (("ULabel", "records", "99999999"), {}, 404, "no ULabel record with id or uid 99999999"),
        (("ULabel", "records"), {"limit": "ten"}, 400, "limit must be a whole number (digits 0-9), got 'ten'"),
        (("ULabel", "records"), {"limit": "5000"}, 400, "limit must be between 1 and 1000, got 5000"),
        (("ULabel", "records"), {"offset": "-1"}, 400, f"offset must be between 0 and {2**63 - 1}, got -1"),
        (("ULabel", "records"), {"nme": "x"}, 400, "ULabel has no filter field 'nme'. Did you mean 'name'?"),
        (("ULabel", "records"), {"id__gt": "abc"}, 400, "id >: “abc” value must be an integer."),
        (("ULabel", "records"), {"is_concept": "maybe"}, 400, "is_concept =: expected yes or no"),
        (("ULabel", "records"), {"include": "parnts__name"}, 400, "ULabel cannot include 'parnts__name'. Did you mean 'parents__name'?"),
        (("ULabel", "records"), {"features": "true"}, 400, "features=true is only available for Artifact"),
        (("ULabel", "records"), {"features": "sure"}, 400, "features must be true or false, got 'sure'"),
        (("ULabel", "records"), {"name__startwith": "C"}, 400,
         "'startwith' is no lookup of ULabel.name. Did you mean 'startswith'? Lookups: contains, endswith, exact, gt,"),
        (("ULabel", "records"), {"name__like": "C"}, 400, "'like' is no lookup of ULabel.name."),
        (("ULabel", "records"), {"created_at__year": "2024"}, 400, "'year' is no lookup of ULabel.created_at."),
        (("ULabel", "records"), {"nme__gt": "x"}, 400, "ULabel has no filter field 'nme'. Did you mean 'name'?"),
        (("ULabel", "records"), {"id__range": "1"}, 400, "id range: give the lowest and the highest value"),
        # numbers: the digits 0-9 only, and within PostgreSQL's bigint (issue 10, item 17)
        (("ULabel", "records"), {"offset": str(2**63)}, 400,
         f"offset must be between 0 and {2**63 - 1}, got {2**63}"),
        (("ULabel", "records"), {"offset": "²"}, 400, "offset must be a whole number (digits 0-9), got '²'"),
        (("ULabel", "records"), {"offset": "١٢"}, 400, "offset must be a whole number (digits 0-9), got '١٢'"),
        (("ULabel", "records"), {"limit": "1_0"}, 400, "limit must be a whole number (digits 0-9), got '1_0'"),
        (("ULabel", "records"), {"limit": "1e99"}, 400, "limit must be a whole number (digits 0-9), got '1e99'"),
        (("ULabel", "records"), {"offset": "9" * 5000}, 400, "offset must be between 0 and 9223372036854775807, got 9999"),
        (("ULabel", "records", "²"), {}, 400, "a record id must be a whole number (digits 0-9), got '²'"),
        (("ULabel", "records", "١٢"), {}, 400, "a record id must be a whole number (digits 0-9), got '١٢'"),
        (("ULabel", "records", str(2**63)), {}, 400,
         f"a record id must be between 1 and {2**63 - 1}, got {2**63}"),
        (("ULabel", "records"), {"id__in": str(2**64)}, 400,
         f"id in: {2**64} is out of range: whole numbers from {-2**63} to {2**63 - 1}"),
        (("ULabel", "records"), {"id__gt": "١٢"}, 400, "id >: “١٢” value must be an integer."),
        (("Artifact", "records"), {"size__gte": str(-2**63 - 1)}, 400, f"size >=: {-2**63 - 1} is out of range"),
    ],
)
async def test_bad_input_is_an_error_with_a_clear_message(jp_fetch, parts, params, code, message):
    status, text = await get_error(jp_fetch, "registries", *parts, **params)
    assert status == code
    assert text.startswith(message), text


async def test_no_sql_from_the_request_reaches_the_database(jp_fetch, rest_labels, instance):
    before = instance.ULabel.filter(name__startswith=PREFIX).count()
    data = await get(jp_fetch, "registries", "ULabel", "records", q="'; DROP TABLE core_ulabel; --")
    assert data["records"] == []
    status, _ = await get_error(jp_fetch, "registries", "ULabel", "records", **{"name; DROP TABLE x": "1"})
    assert status == 400
    assert instance.ULabel.filter(name__startswith=PREFIX).count() == before


async def test_every_route_needs_authentication(jp_fetch, jp_serverapp, http_server_client, jp_base_url):
    for path in ("lamindb/registries", "lamindb/registries/ULabel/records", "lamindb/registries/ULabel/records/1",
                 "lamindb/registries/Artifact/records/1/lineage"):
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(jp_base_url + path, headers={}, method="GET")
        assert info.value.code == 403, path


def test_every_public_callable_of_the_handlers_has_a_docstring():
    import inspect

    from lamindb_jupyter.server import handlers

    missing = []
    for name, value in vars(handlers).items():
        if name.startswith("_") or getattr(value, "__module__", None) != handlers.__name__:
            continue
        if not inspect.getdoc(value):
            missing.append(name)
        if inspect.isclass(value):
            for attr, member in vars(value).items():
                member = member.fget if isinstance(member, property) else member
                if not attr.startswith("_") and callable(member) and not (member.__doc__ or "").strip():
                    missing.append(f"{name}.{attr}")
    assert missing == []


async def test_the_extension_is_listed_by_jupyter_server(jp_serverapp):
    manager = jp_serverapp.extension_manager
    assert manager.extensions["lamindb_jupyter.server"].enabled
    assert "lamindb_jupyter.server" in [p.module_name for p in manager.extension_points.values()]


async def test_without_an_instance_the_answer_says_how_to_set_one_up(jp_fetch, jp_serverapp, monkeypatch):
    from lamindb_jupyter.server import handlers

    server = jp_serverapp.web_app.settings["lamindb_server"]
    monkeypatch.setattr(server, "follow_current_instance", True)
    monkeypatch.setattr(handlers, "current_slug", lambda: None)
    status, message = await get_error(jp_fetch, "registries")
    assert status == 409
    assert message.startswith("no lamindb-core instance is set up: run ln.setup.init(storage=...)")


async def test_following_the_current_instance_keeps_the_one_in_use(jp_fetch, jp_serverapp, instance, monkeypatch):
    from lamindb_jupyter.server import handlers

    slug = instance.setup.settings.instance.slug
    server = jp_serverapp.web_app.settings["lamindb_server"]
    monkeypatch.setattr(server, "follow_current_instance", True)
    # the config folder names the instance in use (other tests may have switched it)
    monkeypatch.setattr(handlers, "current_slug", lambda: slug)
    monkeypatch.setattr(instance.setup, "connect", lambda name: pytest.fail(f"reconnected to {name}"))
    data = await get(jp_fetch, "registries")
    assert data["instance"] == slug


async def test_records_at_the_largest_offset_are_an_empty_page(jp_fetch, rest_labels):
    data = await get(jp_fetch, "registries", "ULabel", "records", offset=str(2**63 - 1), q=PREFIX)
    assert data["records"] == [] and data["has_more"] is False
    data = await get(jp_fetch, "registries", "ULabel", "records", offset=str(2**63 - 1))
    assert data["records"] == [] and data["total"] == await total_labels(jp_fetch)


async def total_labels(jp_fetch) -> int:
    return (await get(jp_fetch, "registries", "ULabel", "records", limit="1"))["total"]


async def test_a_page_past_the_end_reports_the_real_total_and_each_column_once(jp_fetch, rest_labels):
    # issue 10, item 23: the total was the offset, and "id" came twice
    data = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, offset="100")
    assert data["records"] == [] and data["has_more"] is False
    assert data["total"] == 26
    assert data["columns"].count("id") == 1
    full = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX)
    assert data["columns"] == full["columns"]
    # a search past its end as well, and a filter that matches nothing
    data = await get(jp_fetch, "registries", "ULabel", "records", q=f"{PREFIX}17", offset="500")
    assert data["records"] == [] and 1 <= data["total"] <= 26
    data = await get(jp_fetch, "registries", "ULabel", "records", name="no such label")
    assert data["total"] == 0 and data["columns"] == full["columns"]


async def test_a_broken_database_is_503_with_the_reason_and_recovers(jp_fetch, tmp_path, monkeypatch):
    # issue 10, item 17: an instance whose SQLite file was overwritten with garbage (or whose
    # PostgreSQL database is gone) answered 500 with no reason
    from django.db import connections

    db = connections.settings["default"]
    if db["ENGINE"].endswith("sqlite3"):
        garbage = tmp_path / "garbage.lndb"
        garbage.write_bytes(b"this is no SQLite database\n" * 200)
        monkeypatch.setitem(db, "NAME", str(garbage))
        reason = "file is not a database"
    else:
        monkeypatch.setitem(db, "NAME", "lamin_no_such_database")
        reason = 'database "lamin_no_such_database" does not exist'
    for parts in (("registries", "ULabel", "records"), ("registries", "ULabel", "records", "1")):
        status, message = await get_error(jp_fetch, *parts)
        assert status == 503, parts
        assert message.startswith("cannot read the database of instance "), message
        assert reason in message
    monkeypatch.undo()
    data = await get(jp_fetch, "registries", "ULabel", "records", limit="1")
    assert data["registry"] == "ULabel"


async def test_a_value_the_database_refuses_is_400_not_503(jp_fetch, monkeypatch):
    # the checks of the request should let no such value through; if one gets past them,
    # the answer still blames the request, not the instance
    from django.db import DataError

    from lamindb_jupyter.server import handlers

    def refuse(*args, **kwargs):
        raise DataError("value out of range for type bigint")

    monkeypatch.setattr(handlers.browsing, "fetch_page", refuse)
    status, message = await get_error(jp_fetch, "registries", "ULabel", "records")
    assert status == 400
    assert message == "the database refused a value of the request: value out of range for type bigint"


async def test_an_instance_whose_database_is_gone_is_503_with_the_reason(jp_fetch, jp_serverapp, instance, monkeypatch):
    # issue 10, item 14: a registered instance whose SQLite file is gone became a new empty
    # instance; connecting now fails with InstanceUnavailable, which the API answers with 503
    from lamindb_jupyter.server import handlers

    server = jp_serverapp.web_app.settings["lamindb_server"]
    monkeypatch.setattr(server, "follow_current_instance", True)
    monkeypatch.setattr(handlers, "current_slug", lambda: "someone/lost")
    monkeypatch.setattr(handlers, "load_instance", lambda slug: None)
    reason = "the database of the instance someone/lost is missing: /data/lost/.lamindb/lamin.db does not exist"

    def connect(slug):
        raise instance.errors.InstanceUnavailable(reason)

    monkeypatch.setattr(instance.setup, "connect", connect)
    status, message = await get_error(jp_fetch, "registries", "ULabel", "records")
    assert (status, message) == (503, reason)


async def test_records_read_as_the_dataframe_reads_them_sorted_and_true_false(jp_fetch, rest_labels):
    data = await get(
        jp_fetch, "registries", "ULabel", "records", name=f"{PREFIX}00", include="children__name"
    )
    (record,) = data["records"]
    # a set of labels is a JSON list in the order df() prints it; a boolean is a JSON boolean
    assert record["children__name"] == [f"{PREFIX}01", f"{PREFIX}02"]
    assert record["is_concept"] is False
    detail = await get(jp_fetch, "registries", "ULabel", "records", str(record["id"]))
    assert {"name": "is_concept", "value": False} in detail["fields"]
    # the panel shows describe(): True and False as Python writes them, not true or 1
    assert ".is_concept = False" in detail["describe"]


@pytest.fixture(scope="module")
def rest_markers(instance):
    """A committed cell marker with its protein, of the bio registries bionty 1.0 added last;
    removed (with the organism, if it made it) when the module's tests are done."""
    import lamindb_core.bio as bt

    had_human = bt.Organism.filter(name="human").exists()
    protein = bt.Protein(name=f"{PREFIX}protein", uniprotkb_id="Q15116", gene_symbol="PDCD1").save()
    marker = bt.CellMarker(name=f"{PREFIX}PD1", synonyms="CD279").save()
    marker.proteins.add(protein)
    pathway = bt.Pathway(name=f"{PREFIX}pathway", ontology_id="GO:0002376").save()
    yield marker
    marker.delete()
    protein.delete()
    pathway.delete()
    if not had_human:
        bt.Organism.filter(name="human").delete()


async def test_registries_list_and_records_of_protein_cell_marker_and_pathway(jp_fetch, rest_markers):
    # found by introspection like every registry: no special case in the server
    data = await get(jp_fetch, "registries")
    by_name = {r["name"]: r for r in data["registries"]}
    for name in ("Protein", "CellMarker", "Pathway"):
        assert by_name[name]["module"] == "bio" and by_name[name]["display_field"] == "name"
    assert "ArtifactCellMarker" not in by_name and "uniprotkb_id" in by_name["Protein"]["fields"]
    assert "proteins__name" in by_name["CellMarker"]["include"]
    records = await get(
        jp_fetch, "registries", "CellMarker", "records", name=f"{PREFIX}PD1", include="proteins__name,organism__name"
    )
    (record,) = records["records"]
    assert record["proteins__name"] == [f"{PREFIX}protein"] and record["organism__name"] == "human"
    detail = await get(jp_fetch, "registries", "CellMarker", "records", rest_markers.uid)
    assert {"name": "synonyms", "value": "CD279"} in detail["fields"]
    proteins = next(r for r in detail["relations"] if r["name"] == "proteins")
    assert [r["label"] for r in proteins["records"]] == [f"{PREFIX}protein"]
    found = await get(jp_fetch, "registries", "Pathway", "records", ontology_id="GO:0002376")
    assert [r["name"] for r in found["records"]] == [f"{PREFIX}pathway"]

"""The REST API follows the notebook in focus: the instance a kernel uses, the registered
instances for the panel's picker, an explicit instance per request; and sorted pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from tornado.httpclient import HTTPClientError

from lamindb_core.instance import current_slug, set_current_slug

PREFIX = "REST test "
OTHER_LABELS = ["Other instance label A", "Other instance label B"]


async def get(jp_fetch, *parts, **params):
    response = await jp_fetch("lamindb", *parts, params=params or None, method="GET")
    assert response.code == 200
    return json.loads(response.body)


@pytest.fixture(scope="module")
def other_instance(instance, tmp_path_factory):
    """A second registered instance (embedded), made by another process as a user would;
    the current instance stays the session's."""
    before = current_slug()
    storage = tmp_path_factory.mktemp("other") / "storage"
    code = textwrap.dedent(
        f"""
        import lamindb_core as ln
        ln.setup.init(storage={str(storage)!r}, name="rest-other")
        ln.save([ln.ULabel(name=n) for n in {OTHER_LABELS!r}])
        print(ln.setup.settings.instance.slug)
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "LAMIN_CORE_TEST_DB"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    set_current_slug(before)
    yield done.stdout.strip().splitlines()[-1]
    set_current_slug(before)


@pytest.fixture
def back_to_the_session_instance(jp_fetch, instance):
    """After the test, a request without ``instance`` (the server goes back to its own) and
    a check that this process still uses the session's instance."""
    slug = instance.setup.settings.instance.slug
    yield slug
    assert current_slug() == slug


async def test_instances_lists_the_registered_ones_and_the_current(jp_fetch, instance, other_instance):
    data = await get(jp_fetch, "instances")
    slugs = [i["slug"] for i in data["instances"]]
    assert instance.setup.settings.instance.slug in slugs and other_instance in slugs
    assert data["current"] == instance.setup.settings.instance.slug
    other = next(i for i in data["instances"] if i["slug"] == other_instance)
    assert other["name"] == "rest-other" and other["db"]


async def test_an_explicit_instance_is_read_without_becoming_current(
    jp_fetch, instance, other_instance, back_to_the_session_instance
):
    data = await get(jp_fetch, "registries", instance=other_instance)
    assert data["instance"] == other_instance
    page = await get(jp_fetch, "registries", "ULabel", "records", instance=other_instance)
    assert page["instance"] == other_instance
    assert sorted(r["name"] for r in page["records"]) == OTHER_LABELS
    assert current_slug() == back_to_the_session_instance
    # without the argument: the server's own instance again
    data = await get(jp_fetch, "registries")
    assert data["instance"] == back_to_the_session_instance
    page = await get(jp_fetch, "registries", "ULabel", "records", q="Other instance label")
    assert page["instance"] == back_to_the_session_instance
    assert not any(r["name"] in OTHER_LABELS for r in page["records"])


async def test_an_unknown_instance_is_404_naming_those_that_exist(jp_fetch, other_instance):
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lamindb", "registries", params={"instance": "nobody/nothing"}, method="GET")
    message = json.loads(info.value.response.body)["message"]
    assert info.value.code == 409  # a SetupError, as for a current instance that is gone
    assert "instance 'nobody/nothing' not found" in message and other_instance in message


async def test_a_kernel_shows_the_instance_it_connected_to(jp_fetch, jp_serverapp, instance, other_instance):
    # issue 11, item 11: the panel showed whatever instance some kernel connected to last
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    kernel_id = json.loads(response.body)["id"]
    client = jp_serverapp.kernel_manager.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        data = await get(jp_fetch, "kernels", kernel_id, "instance")
        assert data == {"kernel": kernel_id, "instance": current_slug(), "source": "current"}
        reply = await client.execute_interactive(
            f"import lamindb_core as ln\nln.setup.connect({other_instance!r})", timeout=60
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        data = await get(jp_fetch, "kernels", kernel_id, "instance")
        assert data == {"kernel": kernel_id, "instance": other_instance, "source": "kernel"}
        # another process connecting elsewhere (the current instance changes) leaves this kernel's
        set_current_slug(instance.setup.settings.instance.slug)
        data = await get(jp_fetch, "kernels", kernel_id, "instance")
        assert data["instance"] == other_instance
    finally:
        client.stop_channels()
        await jp_serverapp.kernel_manager.shutdown_kernel(kernel_id, now=True)
        set_current_slug(instance.setup.settings.instance.slug)
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lamindb", "kernels", kernel_id, "instance", method="GET")
    assert info.value.code == 404


async def test_records_sort_by_a_column_either_way(jp_fetch, rest_labels):
    up = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, order_by="name", limit="3")
    assert [r["name"] for r in up["records"]] == [f"{PREFIX}00", f"{PREFIX}01", f"{PREFIX}02"]
    assert up["order_by"] == ["name"] and up["total"] == 26
    down = await get(jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, order_by="-name", limit="2")
    assert [r["name"] for r in down["records"]] == [f"{PREFIX}<img src=x onerror=alert(1)>", f"{PREFIX}24"]
    second = await get(
        jp_fetch, "registries", "ULabel", "records", name__startswith=PREFIX, order_by="name", limit="3", offset="3"
    )
    assert [r["name"] for r in second["records"]] == [f"{PREFIX}03", f"{PREFIX}04", f"{PREFIX}05"]
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("lamindb", "registries", "ULabel", "records", params={"order_by": "nme"}, method="GET")
    assert info.value.code == 400
    assert "ULabel cannot be sorted by 'nme'. Did you mean 'name'" in json.loads(info.value.response.body)["message"]


async def test_registries_say_how_a_notebook_names_them(jp_fetch):
    data = await get(jp_fetch, "registries")
    by_name = {r["name"]: r for r in data["registries"]}
    assert (by_name["ULabel"]["python"], by_name["ULabel"]["variable"]) == ("ln.ULabel", "ulabel")
    # LaminDB 1.0.5's name of FeatureSet (ln.FeatureSet is the same registry)
    assert (by_name["Schema"]["python"], by_name["Schema"]["variable"]) == ("ln.Schema", "schema")
    bio = [r for r in data["registries"] if r["module"] == "bio"]
    assert bio and all(r["python"].startswith("bt.") for r in bio)


async def test_new_routes_need_authentication(jp_fetch, http_server_client, jp_base_url):
    for path in ("lamindb/instances", "lamindb/kernels/abc/instance"):
        with pytest.raises(HTTPClientError) as info:
            await http_server_client.fetch(jp_base_url + path, headers={}, method="GET")
        assert info.value.code == 403, path

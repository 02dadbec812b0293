"""An InvalidArgument names the argument it is about (OSS's error documents carry
``ArgumentName``, and ``ArgumentValue`` where given): the storage class of a write, the
restore Tier, the x-oss-process of a POST without sys/saveas, the callbackBody of a
callback. Raw HTTP to an open server, so each element of the error is read as sent.

Expected values: storage classes are Standard, IA, Archive, ColdArchive,
DeepColdArchive, and an appendable object cannot be ColdArchive/DeepColdArchive (EC
0016-00000503); a restore Tier outside Expedited/Standard/Bulk is EC 0016-00000703;
a POST ``?x-oss-process`` is ``...|sys/saveas,o_...`` ("Save processed images"); an
empty callbackBody is EC 0007-00000011 (OSS docs "Callback").
"""
from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import one_bucket_server, solid
from tests.server_http_helpers import call, error_answer

BUCKET = "arg-names"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as (server, _):
        yield server


def invalid(answer, name: str, ec: str | None = None) -> dict[str, str]:
    err = error_answer(answer, 400, "InvalidArgument")
    assert err["ArgumentName"] == name
    if ec is not None:
        assert answer[1]["x-oss-ec"] == ec
    return err


@pytest.mark.parametrize("cls", ["Bogus", "standard", "Cold"])
def test_an_unknown_storage_class_is_named(srv, cls):
    invalid(call(srv, "PUT", f"/{BUCKET}/c.txt", b"x", {"x-oss-storage-class": cls}),
            "x-oss-storage-class")
    assert call(srv, "HEAD", f"/{BUCKET}/c.txt")[0] == 404


@pytest.mark.parametrize("cls", ["ColdArchive", "DeepColdArchive"])
def test_an_appendable_cold_object_is_refused_naming_the_class(srv, cls):
    invalid(call(srv, "POST", f"/{BUCKET}/a.log?append&position=0", b"x",
                 {"x-oss-storage-class": cls}), "x-oss-storage-class", "0016-00000503")


def test_an_unknown_restore_tier_is_named(srv):
    assert call(srv, "PUT", f"/{BUCKET}/cold.bin", b"c",
                {"x-oss-storage-class": "ColdArchive"})[0] == 200
    body = (b"<RestoreRequest><Days>2</Days><JobParameters><Tier>Fast</Tier>"
            b"</JobParameters></RestoreRequest>")
    invalid(call(srv, "POST", f"/{BUCKET}/cold.bin?restore", body), "Tier",
            "0016-00000703")


def test_a_post_process_without_saveas_is_named(srv):
    assert call(srv, "PUT", f"/{BUCKET}/src.png", solid(20, 10))[0] == 200
    invalid(call(srv, "POST", f"/{BUCKET}/src.png?x-oss-process",
                 b"x-oss-process=image/resize,w_10"), "x-oss-process")


def test_an_empty_callback_body_is_named(srv):
    callback = base64.b64encode(json.dumps(
        {"callbackUrl": "http://127.0.0.1:1/cb", "callbackBody": ""}).encode()).decode()
    invalid(call(srv, "PUT", f"/{BUCKET}/cb.txt", b"x", {"x-oss-callback": callback}),
            "callbackBody", "0007-00000011")
    assert call(srv, "HEAD", f"/{BUCKET}/cb.txt")[0] == 404


def test_saveas_in_a_get_is_refused_naming_the_process(srv):
    assert call(srv, "PUT", f"/{BUCKET}/g.png", solid(20, 10))[0] == 200
    target = base64.urlsafe_b64encode(b"g-out.png").decode()
    invalid(call(srv, "GET", f"/{BUCKET}/g.png?x-oss-process=image/resize,w_10"
                             f"|sys/saveas,o_{target}"), "x-oss-process")
    assert call(srv, "HEAD", f"/{BUCKET}/g-out.png")[0] == 404


def test_a_post_body_without_the_parameter_is_a_missing_argument(srv):
    assert call(srv, "PUT", f"/{BUCKET}/m.png", solid(20, 10))[0] == 200
    answer = call(srv, "POST", f"/{BUCKET}/m.png?x-oss-process", b"process=image/resize,w_1")
    err = error_answer(answer, 400, "MissingArgument")
    assert err["ArgumentName"] == "x-oss-process"
    assert "x-oss-process=" in err["Message"]        # says what the body must hold


@pytest.mark.parametrize("query, name", [
    ("max-keys=0", "max-keys"), ("max-keys=1001", "max-keys"), ("max-keys=ten", "max-keys"),
    ("list-type=2&max-keys=-1", "max-keys"), ("uploads&max-uploads=0", "max-uploads"),
    ("versions&max-keys=2000", "max-keys"),
])
def test_a_listing_size_out_of_1_to_1000_is_named(srv, query, name):
    invalid(call(srv, "GET", f"/{BUCKET}?{query}"), name)

"""A malformed ``versionId`` and a bad RestoreObject ``Days``: each a 400 InvalidArgument
that names its argument, over raw HTTP to an open server, every element read as sent.

Expected values from outside the code:
- a ``versionId`` that is no version id: ``400 InvalidArgument`` with
  ``<ArgumentName>versionId</ArgumentName>`` and the value given as ``ArgumentValue``
  (the answer of the S3-compatible API OSS follows, recorded whole in
  versity/versitygw#1698: ``<Code>InvalidArgument</Code><Message>Invalid version id
  specified</Message><ArgumentName>versionId</ArgumentName><ArgumentValue>test_file
  </ArgumentValue>``); the literal ``null`` is a valid version id (OSS: "the null
  version"), so it reads the current object of an unversioned bucket;
- RestoreObject ``Days`` outside 1-7 (Archive) is EC 0016-00000708, outside 1-365
  (ColdArchive, DeepColdArchive) EC 0016-00000704, a value that is no integer
  (``<Days>a</Days>``, the example of 0016-00000708) likewise; OSS's error documents
  carry ``ArgumentName`` for an InvalidArgument; a RestoreObject without a body
  restores for 1 day (RestoreObject: "Days ... default 1") at the default priority
  Standard for a cold class (RestoreObject: JobParameters left out), answered in
  ``x-oss-object-restore-priority``; a restore changes nothing when refused;
- a RestoreRequest that parses but is not the documented one (another root, an element
  it does not have, JobParameters for Archive) is 400 MalformedXML with OSS's message
  "The XML you provided was not well-formed or did not validate against our published
  schema." (asserted whole by aliyun-oss-java-sdk's BucketHttpsConfigTest against OSS).
"""
from __future__ import annotations

import pytest

from tests.helpers import one_bucket_server
from tests.server_http_helpers import call, error_answer

BUCKET = "bad-args"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with one_bucket_server(tmp_path_factory, BUCKET, region="cn-hangzhou") as (server, _):
        assert call(server, "PUT", f"/{BUCKET}/k.txt", b"current")[0] == 200
        yield server


BAD_IDS = ["../../etc", "a%20b", "v%2Fx", "CAE!", "x" * 129]


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_malformed_version_id_is_invalid_argument_naming_it(srv, method, value):
    err = error_answer(call(srv, method, f"/{BUCKET}/k.txt?versionId={value}"), 400,
                       "InvalidArgument")
    assert err["ArgumentName"] == "versionId"
    shown = value.replace("%2F", "/").replace("%20", " ")
    assert shown.startswith(err["ArgumentValue"]) and err["ArgumentValue"]
    if len(value) < 64:
        assert err["ArgumentValue"] == shown
    # nothing was deleted
    assert call(srv, "GET", f"/{BUCKET}/k.txt")[2] == b"current"


def test_an_empty_version_id_is_invalid_argument(srv):
    err = error_answer(call(srv, "GET", f"/{BUCKET}/k.txt?versionId="), 400,
                       "InvalidArgument")
    assert err["ArgumentName"] == "versionId"


def test_a_malformed_version_id_in_a_head_is_a_bare_400(srv):
    status, _, body = call(srv, "HEAD", f"/{BUCKET}/k.txt?versionId=../x")
    assert (status, body) == (400, b"")


def test_null_is_a_version_id_of_an_unversioned_bucket(srv):
    status, headers, body = call(srv, "GET", f"/{BUCKET}/k.txt?versionId=null")
    assert (status, body) == (200, b"current")
    longest = "A" * 128                  # the longest well-formed id: unknown, not malformed
    error_answer(call(srv, "GET", f"/{BUCKET}/k.txt?versionId={longest}"), 404,
                 "NoSuchVersion")


def _put(srv, key, cls):
    assert call(srv, "PUT", f"/{BUCKET}/{key}", b"x", {"x-oss-storage-class": cls})[0] == 200


def _restore(srv, key, body=b""):
    return call(srv, "POST", f"/{BUCKET}/{key}?restore", body)


@pytest.mark.parametrize("cls,days,ec", [
    ("Archive", "8", "0016-00000708"), ("Archive", "0", "0016-00000708"),
    ("Archive", "a", "0016-00000708"), ("Archive", "-1", "0016-00000708"),
    ("ColdArchive", "366", "0016-00000704"), ("ColdArchive", "-1", "0016-00000704"),
    ("ColdArchive", "a", "0016-00000704"), ("DeepColdArchive", "0", "0016-00000704"),
    ("DeepColdArchive", "12345", "0016-00000704"),
])
def test_bad_restore_days_are_invalid_argument_naming_days(srv, cls, days, ec):
    key = f"days-{cls}.bin"
    _put(srv, key, cls)
    answer = _restore(srv, key, f"<RestoreRequest><Days>{days}</Days></RestoreRequest>"
                      .encode())
    err = error_answer(answer, 400, "InvalidArgument")
    assert (err["ArgumentName"], err["EC"], answer[1]["x-oss-ec"]) == ("Days", ec, ec)
    assert "x-oss-restore" not in call(srv, "HEAD", f"/{BUCKET}/{key}")[1]


@pytest.mark.parametrize("cls,top", [("Archive", 7), ("ColdArchive", 365),
                                     ("DeepColdArchive", 365)])
def test_the_longest_restore_of_each_class_is_taken(srv, cls, top):
    key = f"top-{cls}.bin"
    _put(srv, key, cls)
    status, _, _ = _restore(srv, key, f"<RestoreRequest><Days>{top}</Days>"
                            "</RestoreRequest>".encode())
    assert status == 202
    assert call(srv, "HEAD", f"/{BUCKET}/{key}")[1]["x-oss-restore"] == \
        'ongoing-request="true"'


@pytest.mark.parametrize("cls,priority", [("Archive", None), ("ColdArchive", "Standard"),
                                          ("DeepColdArchive", "Standard")])
def test_a_restore_without_a_body_takes_the_defaults(srv, cls, priority):
    key = f"nobody-{cls}.bin"
    _put(srv, key, cls)
    status, headers, body = _restore(srv, key)
    assert (status, body) == (202, b"")
    assert headers.get("x-oss-object-restore-priority") == priority
    # a second request while it runs: 409 RestoreAlreadyInProgress, EC 0016-00000701
    answer = _restore(srv, key)
    error_answer(answer, 409, "RestoreAlreadyInProgress")
    assert answer[1]["x-oss-ec"] == "0016-00000701"


@pytest.mark.parametrize("cls,body", [
    ("ColdArchive", b"<RestoreRequest><Days>2</Days><Unknown/></RestoreRequest>"),
    ("ColdArchive", b"<Restore><Days>2</Days></Restore>"),
    ("ColdArchive", b"<RestoreRequest><JobParameters><Tier>Bulk</Tier><Days>2</Days>"
                    b"</JobParameters></RestoreRequest>"),
    ("Archive", b"<RestoreRequest><Days>2</Days><JobParameters><Tier>Bulk</Tier>"
                b"</JobParameters></RestoreRequest>"),
])
def test_a_restore_request_off_the_schema_is_malformed_xml(srv, cls, body):
    key = f"schema-{cls}.bin"
    _put(srv, key, cls)
    err = error_answer(_restore(srv, key, body), 400, "MalformedXML")
    assert err["Message"] == ("The XML you provided was not well-formed or did not "
                              "validate against our published schema.")
    assert "x-oss-restore" not in call(srv, "HEAD", f"/{BUCKET}/{key}")[1]

"""The storage class an object gets when its PUT names none: the bucket's
(CreateBucketConfiguration/StorageClass), and OSS's default, Standard, when the bucket has
none -- also when the bucket's settings file was damaged by hand (the service keeps
serving and says which file it could not read: nothing the user has is lost).

Expected values: OSS "PutBucket" (StorageClass: Standard, IA, Archive, ColdArchive,
DeepColdArchive; default Standard), "PutObject" (x-oss-storage-class: the bucket's class
when the request names none), HeadObject's x-oss-storage-class."""
from __future__ import annotations

import logging

import pytest

from core.serve.config import META_DIR, ServiceConfig
from core.serve.meta import BUCKET_FILE
from core.serve.service import OssService
from tests.service_env import T0, handle, one_bucket_service

B = "classes"


def stored_class(svc, key: str, headers=None) -> str:
    assert handle(svc, "PUT", B, key, body=b"x", headers=headers).status == 200
    head = handle(svc, "HEAD", B, key)
    assert head.status == 200
    return head.headers["x-oss-storage-class"]


@pytest.mark.parametrize("cls", ["IA", "Archive", "ColdArchive"])
def test_a_put_without_a_class_gets_the_buckets(tmp_path, cls):
    svc = OssService(ServiceConfig(tmp_path, acl="public-read-write"), clock=lambda: T0)
    body = (f"<CreateBucketConfiguration><StorageClass>{cls}</StorageClass>"
            "</CreateBucketConfiguration>").encode()
    assert handle(svc, "PUT", B, None, body=body).status == 200
    assert stored_class(svc, "a.txt") == cls
    assert stored_class(svc, "b.txt", {"x-oss-storage-class": "Standard"}) == "Standard"


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '"IA"', '{"StorageClass": 5}',
                                     '{"StorageClass": ""}', '{"Other": "IA"}'])
def test_damaged_bucket_settings_mean_standard(tmp_path, caplog, content):
    svc = one_bucket_service(tmp_path, B)
    settings = tmp_path / META_DIR / B / BUCKET_FILE
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="core.serve"):
        assert stored_class(svc, "a.txt") == "Standard"
    unreadable = content in ("{not json", "[1, 2]", '"IA"')
    text = " ".join(r.getMessage() for r in caplog.records)
    assert (str(settings) in text) == unreadable
    assert stored_class(svc, "b.txt", {"x-oss-storage-class": "IA"}) == "IA"


def test_a_bucket_without_settings_is_standard(tmp_path):
    svc = one_bucket_service(tmp_path, B)
    assert not (tmp_path / META_DIR / B / BUCKET_FILE).exists()
    assert stored_class(svc, "a.txt") == "Standard"

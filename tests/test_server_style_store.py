"""The style API's stored state, as alibabacloud-oss-v2 reads it back.

From the OSS PutStyle/GetStyle/ListStyle pages (shared/spec/oss-signing.md section 4):
GetStyle answers Name, Content, Category, CreateTime and LastModifyTime (RFC 1123 GMT);
a bucket holds at most 50 styles; the default category is ``image``. Re-putting a style
keeps its CreateTime and moves its LastModifyTime. The server's clock is a fake one, so
the times are exact. Styles outlive the server (a second server on the same ROOT sees
them), and a plain ``{name: "image/..."}`` file dropped into ``ROOT/.oss-styles`` (the
CLI's ``--styles`` format) is served too.
"""
from __future__ import annotations

import json
import os

import pytest

import alibabacloud_oss_v2 as osv2

from tests.helpers import running_server
from tests.service_env import SettableClock

REGION = "cn-hangzhou"
B = "stylebkt"
T = 1_700_000_000
T_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT"          # T
T2_HTTP = "Tue, 14 Nov 2023 22:15:00 GMT"         # T + 100


def client_for(url: str) -> osv2.Client:
    cfg = osv2.config.load_default()
    # anonymous: the server's clock is in 2023, a signature made now would be too skewed
    cfg.credentials_provider = osv2.credentials.AnonymousCredentialsProvider()
    cfg.region, cfg.endpoint, cfg.retry_max_attempts = REGION, url, 1
    return osv2.Client(cfg)


@pytest.fixture
def root(tmp_path):
    (tmp_path / B).mkdir()
    return tmp_path


def put(client, name: str, content: str, category: str | None = None):
    return client.put_style(osv2.PutStyleRequest(
        bucket=B, style_name=name, category=category, style=osv2.StyleContent(content=content)))


def get(client, name: str):
    return client.get_style(osv2.GetStyleRequest(bucket=B, style_name=name)).style


def service_error(call) -> osv2.exceptions.ServiceError:
    with pytest.raises(osv2.exceptions.OperationError) as e:
        call()
    return e.value.unwrap()


def test_times_category_and_persistence(root):
    clock = SettableClock(T)
    with running_server(root, "public-read-write", region=REGION,
                        clock=clock) as srv:
        c = client_for(srv.url)
        assert put(c, "thumb", "image/resize,w_10").status_code == 200
        s = get(c, "thumb")
        assert (s.name, s.content, s.category) == ("thumb", "image/resize,w_10", "image")
        assert (s.create_time, s.last_modify_time) == (T_HTTP, T_HTTP)
        clock.now = T + 100
        put(c, "thumb", "image/resize,w_20", "image")
        s = get(c, "thumb")
        assert (s.content, s.create_time, s.last_modify_time) == (
            "image/resize,w_20", T_HTTP, T2_HTTP)
        put(c, "a-first", "image/format,png", "document")
        listed = c.list_style(osv2.ListStyleRequest(bucket=B)).style_list.styles
        assert [(x.name, x.category, x.create_time) for x in listed] == [
            ("a-first", "document", T2_HTTP), ("thumb", "image", T_HTTP)]
    with running_server(root, "public-read-write", region=REGION,
                        clock=clock) as srv:
        c = client_for(srv.url)
        s = get(c, "thumb")
        assert (s.content, s.create_time, s.last_modify_time) == (
            "image/resize,w_20", T_HTTP, T2_HTTP)
        assert c.delete_style(osv2.DeleteStyleRequest(bucket=B, style_name="thumb")
                              ).status_code == 204
    with running_server(root, "public-read-write", region=REGION,
                        clock=clock) as srv:
        c = client_for(srv.url)
        assert [x.name for x in c.list_style(osv2.ListStyleRequest(bucket=B)
                                             ).style_list.styles] == ["a-first"]
        assert service_error(lambda: get(c, "thumb")).status_code == 404


def test_at_most_50_styles_per_bucket(root):
    with running_server(root, "public-read-write", region=REGION,
                        clock=SettableClock(T)) as srv:
        c = client_for(srv.url)
        for i in range(50):
            put(c, f"s{i:02d}", "image/resize,w_10")
        err = service_error(lambda: put(c, "s50", "image/resize,w_10"))
        assert (err.status_code, err.code) == (400, "InvalidArgument")
        put(c, "s07", "image/resize,w_11")           # replacing one is not adding one
        assert get(c, "s07").content == "image/resize,w_11"
        c.delete_style(osv2.DeleteStyleRequest(bucket=B, style_name="s00"))
        put(c, "s50", "image/resize,w_10")
        assert len(c.list_style(osv2.ListStyleRequest(bucket=B)).style_list.styles) == 50


def test_a_plain_styles_file_dropped_in_is_served(root):
    folder = root / ".oss-styles"
    folder.mkdir()
    path = folder / f"{B}.json"
    path.write_text(json.dumps({"small": "image/resize,w_8", "ignored": 5}), "utf-8")
    os.utime(path, (T, T))
    with running_server(root, "public-read-write", region=REGION,
                        clock=SettableClock(T)) as srv:
        c = client_for(srv.url)
        s = get(c, "small")
        assert (s.name, s.content, s.category) == ("small", "image/resize,w_8", "image")
        assert (s.create_time, s.last_modify_time) == (T_HTTP, T_HTTP)
        assert [x.name for x in c.list_style(osv2.ListStyleRequest(bucket=B)
                                             ).style_list.styles] == ["small"]
        # the next change writes the full format, and the file's styles are kept
        put(c, "big", "image/resize,w_80")
        assert sorted(x.name for x in c.list_style(osv2.ListStyleRequest(bucket=B)
                                                   ).style_list.styles) == ["big", "small"]
    doc = json.loads(path.read_text("utf-8"))
    assert set(doc["styles"]) == {"big", "small"}
    assert doc["styles"]["small"] == {"Content": "image/resize,w_8", "Category": "image",
                                      "CreateTime": T_HTTP, "LastModifyTime": T_HTTP}


@pytest.mark.parametrize("text", ["[1, 2]", "{not json", '{"format": "oss-img-styles/1", '
                                  '"styles": [1]}'])
def test_an_unreadable_styles_file_is_an_internal_error_and_kept(root, text):
    folder = root / ".oss-styles"
    folder.mkdir()
    (folder / f"{B}.json").write_text(text, "utf-8")
    with running_server(root, "public-read-write", region=REGION,
                        clock=SettableClock(T)) as srv:
        c = client_for(srv.url)
        err = service_error(lambda: get(c, "x"))
        assert (err.status_code, err.code) == (500, "InternalError")
        err = service_error(lambda: put(c, "x", "image/resize,w_1"))
        assert err.status_code == 500
    assert (folder / f"{B}.json").read_text("utf-8") == text      # never overwritten


def test_a_full_format_file_without_times_dates_its_styles_by_the_file(root):
    # a style file in the full format written by hand with only Content: the category is
    # OSS's default (image) and both times are the file's modification time
    folder = root / ".oss-styles"
    folder.mkdir()
    path = folder / f"{B}.json"
    path.write_text(json.dumps({"format": "oss-img-styles/1",
                                "styles": {"bare": {"Content": "image/resize,w_8"},
                                           "made": {"Content": "image/resize,w_9",
                                                    "CreateTime": T2_HTTP}}}), "utf-8")
    os.utime(path, (T, T))
    with running_server(root, "public-read-write", region=REGION,
                        clock=SettableClock(T + 500)) as srv:
        c = client_for(srv.url)
        s = get(c, "bare")
        assert (s.content, s.category, s.create_time, s.last_modify_time) == (
            "image/resize,w_8", "image", T_HTTP, T_HTTP)
        s = get(c, "made")
        assert (s.create_time, s.last_modify_time) == (T2_HTTP, T_HTTP)

"""oss-img batch: manifest contents, exit status, workers vs Dask, resume, batch-diff."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from core.batch import manifest, runner, stats
from core.batch.diff import diff
from core.batch.sources import discover
from core.batch.work import Job
from core.cli import main as cli_main

from .batch_fixtures import make_sources

PROCESS = "image/resize,w_100"
TIME_FIELDS = ("seconds", "ref")


def run_cli(capsys, *argv) -> tuple[int, dict | None, str]:
    status = cli_main([*map(str, argv)])
    out, err = capsys.readouterr()
    return status, (json.loads(out) if out.strip() else None), err


def records(out_dir: Path) -> dict[str, dict]:
    lines = (out_dir / "manifest.jsonl").read_text().splitlines()
    return {r["source"]: r for r in map(json.loads, lines)}


@pytest.fixture
def src(tmp_path):
    return make_sources(tmp_path)


def test_manifest_of_good_corrupt_empty_huge_and_animated(tmp_path, src, capsys):
    out = tmp_path / "out"
    status, summary, err = run_cli(capsys, "batch", src, PROCESS, "-o", out, "--workers", "1")
    assert status == 3                      # some sources failed, the run went on
    assert err == ""                         # not a terminal: no progress bar
    recs = records(out)
    assert sorted(recs) == ["anim.gif", "corrupt.jpg", "empty.png", "good.jpg", "huge.png",
                            "nested/alpha.png"]
    good = recs["good.jpg"]
    data = (src / "good.jpg").read_bytes()
    assert good["source_sha256"] == hashlib.sha256(data).hexdigest()
    assert (good["source_bytes"], good["source_width"], good["source_height"],
            good["source_format"]) == (len(data), 800, 600, "jpg")
    # resize,w_100 keeps the aspect ratio (OSS lfit): 800x600 -> 100x75.
    assert (good["output"], good["output_width"], good["output_height"],
            good["output_format"]) == ("good.jpg", 100, 75, "jpg")
    written = (out / "good.jpg").read_bytes()
    assert good["output_bytes"] == len(written)
    assert good["output_sha256"] == hashlib.sha256(written).hexdigest()
    assert good["error"] is None and good["seconds"] >= 0
    assert good["cascade"] == PROCESS and good["process"] == PROCESS

    alpha = recs["nested/alpha.png"]
    assert (alpha["output"], alpha["output_width"], alpha["output_height"]) == (
        "nested/alpha.png", 100, 50)
    with Image.open(out / "nested" / "alpha.png") as im:
        assert im.mode == "RGBA" and im.size == (100, 50)

    anim = recs["anim.gif"]
    assert (anim["output_format"], anim["output_width"], anim["output_height"]) == (
        "gif", 100, 50)
    with Image.open(out / "anim.gif") as im:      # resize keeps a GIF animated
        assert im.n_frames == 3

    # Errors in OSS terms (spec: unsupported source EC 0040-00000005, side > 30,000
    # EC 0040-00000019), with no output written.
    assert recs["corrupt.jpg"]["error"]["code"] == "BadRequest"
    assert recs["corrupt.jpg"]["error"]["ec"] == "0040-00000005"
    assert recs["empty.png"]["error"]["code"] == "BadRequest"
    assert recs["empty.png"]["source_bytes"] == 0
    huge = recs["huge.png"]
    assert (huge["error"]["code"], huge["error"]["ec"]) == ("ImageTooLarge", "0040-00000019")
    for name in ("corrupt.jpg", "empty.png", "huge.png"):
        assert recs[name]["output"] is None
        assert not (out / name).exists()
    assert summary["count"] == 6 and summary["ok"] == 3 and summary["failed"] == 3
    assert summary["failures_by_code"] == {"BadRequest": 2, "ImageTooLarge": 1}


def test_all_good_exits_0_and_extension_follows_the_format(tmp_path, src, capsys):
    out = tmp_path / "out"
    status, summary, _ = run_cli(capsys, "batch", src / "nested", "image/format,webp",
                                 "-o", out, "--workers", "1")
    assert status == 0
    assert summary["failed"] == 0
    assert records(out)["alpha.png"]["output"] == "alpha.webp"
    with Image.open(out / "alpha.webp") as im:
        assert im.format == "WEBP"


def test_style_from_styles_file_and_list_of_paths(tmp_path, src, capsys):
    styles = tmp_path / "styles.json"
    styles.write_text(json.dumps({"thumb": "image/resize,m_fixed,w_64,h_64"}))
    listing = tmp_path / "list.txt"
    listing.write_text("# photos\nsrc/good.jpg\n\nsrc/nested/alpha.png\n")
    out = tmp_path / "out"
    status, _, _ = run_cli(capsys, "batch", listing, "style/thumb", "-o", out,
                           "--styles", styles, "--workers", "1")
    assert status == 0
    recs = records(out)
    assert sorted(recs) == ["src/good.jpg", "src/nested/alpha.png"]
    assert recs["src/good.jpg"]["process"] == "style/thumb"
    assert recs["src/good.jpg"]["cascade"] == "image/resize,m_fixed,w_64,h_64"
    assert (recs["src/good.jpg"]["output_width"], recs["src/good.jpg"]["output_height"]) \
        == (64, 64)


def test_fatal_and_usage_errors(tmp_path, src, capsys):
    status, out, err = run_cli(capsys, "batch", src, "style/missing", "-o", tmp_path / "o")
    assert (status, out) == (1, None)
    assert err.splitlines()[0] == "NoSuchStyle: The specified style does not exist."
    status, _, err = run_cli(capsys, "batch", tmp_path / "nowhere", PROCESS, "-o",
                             tmp_path / "o")
    assert status == 1 and err.startswith("InvalidArgument: SOURCES ")
    # Usage errors: exit 2, still with <Code>: <Message> first.
    assert cli_main(["batch", str(src), PROCESS]) == 2            # -o is required
    assert capsys.readouterr().err.startswith("MissingArgument: ")
    assert cli_main(["batch", str(src), PROCESS, "-o", "x", "--workers", "0"]) == 2
    assert capsys.readouterr().err.startswith("InvalidArgument: ")


def comparable(out_dir: Path) -> dict:
    """The manifest without what legitimately differs between runs (time)."""
    return {k: {f: v for f, v in r.items() if f != "seconds"}
            for k, r in records(out_dir).items()}


def output_bytes(out_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(out_dir).as_posix(): p.read_bytes()
            for p in sorted(out_dir.rglob("*")) if p.is_file() and p.name != "manifest.jsonl"}


def test_same_results_with_1_and_2_workers_and_a_dask_cluster(tmp_path, src):
    distributed = pytest.importorskip("distributed")
    items = discover(str(src))
    outs = {}
    for label, kw in (("w1", {"workers": 1}), ("w2", {"workers": 2})):
        outs[label] = tmp_path / label
        outcome = runner.run(items, Job(PROCESS, str(outs[label])), **kw)
        assert outcome.failed == 3 and outcome.exit_status == 3
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        outs["dask"] = tmp_path / "dask"
        runner.run(items, Job(PROCESS, str(outs["dask"])), dask=client)
    reference = comparable(outs["w1"])
    assert len(reference) == 6
    for label in ("w2", "dask"):
        assert comparable(outs[label]) == reference, label
        assert output_bytes(outs[label]) == output_bytes(outs["w1"]), label
        # The final manifest is in source order, one line per source.
        names = [json.loads(line)["source"] for line in
                 (outs[label] / "manifest.jsonl").read_text().splitlines()]
        assert names == sorted(reference)


def test_resume_skips_done_work_and_redoes_what_changed(tmp_path, src, monkeypatch):
    out = tmp_path / "out"
    items = discover(str(src))
    first = runner.run(items, Job(PROCESS, str(out)), workers=1)
    assert first.reused == 0
    before = records(out)

    # Change one source, delete one output: those two run again, the rest is reused.
    Image.new("RGB", (300, 100), "blue").save(src / "good.jpg")
    (out / "anim.gif").unlink()
    processed = []
    import core.batch.work as work
    real = work._engine.process
    monkeypatch.setattr(work._engine, "process",
                        lambda source, *a, **k: processed.append(source.name) or
                        real(source, *a, **k))
    again = runner.run(discover(str(src)), Job(PROCESS, str(out)), workers=1)
    assert sorted(processed) == ["anim.gif", "good.jpg"]
    assert again.reused == 4
    after = records(out)
    assert (after["good.jpg"]["output_width"], after["good.jpg"]["output_height"]) == (100, 33)
    assert after["nested/alpha.png"] == before["nested/alpha.png"]   # seconds kept too
    assert (out / "anim.gif").exists()

    # Another cascade is not the same work: everything that succeeded runs again.
    processed.clear()
    runner.run(discover(str(src)), Job("image/resize,w_50", str(out)), workers=1)
    assert sorted(processed) == ["anim.gif", "good.jpg", "nested/alpha.png"]


def test_interrupted_manifest_is_resumed(tmp_path, src):
    out = tmp_path / "out"
    items = discover(str(src))
    runner.run(items, Job(PROCESS, str(out)), workers=1)
    lines = (out / "manifest.jsonl").read_text().splitlines()
    # A crash mid-append leaves a cut line: it is ignored and that source runs again.
    (out / "manifest.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:40])
    outcome = runner.run(items, Job(PROCESS, str(out)), workers=1)
    assert outcome.reused == 2
    assert len(records(out)) == 6


def test_cancel_keeps_finished_records(tmp_path, src):
    from core.errors import Cancelled

    out = tmp_path / "out"
    seen = []
    with pytest.raises(Cancelled):
        runner.run(discover(str(src)), Job(PROCESS, str(out)), workers=1,
                   progress=lambda r, reused: seen.append(r["source"]),
                   cancelled=lambda: len(seen) >= 2)
    assert sorted(manifest.load(out)) == sorted(seen) and len(seen) == 2


def test_batch_diff_finds_exactly_the_changed_outputs(tmp_path, src, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    styles = tmp_path / "styles.json"
    styles.write_text(json.dumps({"s": "image/resize,w_100"}))
    assert run_cli(capsys, "batch", src, "style/s", "-o", old, "--styles", styles,
                   "--workers", "1")[0] == 3
    # Between the runs: one source fixed (empty -> a real image), one broken, and the
    # style edited so that only the wide images change (w_100 -> w_100 + limit on h).
    Image.new("RGB", (50, 50), "green").save(src / "empty.png")
    (src / "nested" / "alpha.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    styles.write_text(json.dumps({"s": "image/resize,w_100/bright,10"}))
    assert run_cli(capsys, "batch", src, "style/s", "-o", new, "--styles", styles,
                   "--workers", "1")[0] == 3
    report = tmp_path / "diff.html"
    status, d, _ = run_cli(capsys, "batch-diff", old, new, "--report", report)
    assert status == 0
    assert d["counts"] == {"new_errors": 1, "fixed": 1, "changed_errors": 0, "changed": 2,
                           "added": 0, "removed": 0, "unchanged": 2}
    assert [e["source"] for e in d["new_errors"]] == ["nested/alpha.png"]
    assert [e["source"] for e in d["fixed"]] == ["empty.png"]
    changed = {c["source"]: c for c in d["changed"]}
    assert set(changed) == {"anim.gif", "good.jpg"}
    assert changed["good.jpg"]["dims_changed"] is False
    assert changed["good.jpg"]["pixels"]["max"] > 0          # brighter: pixels differ
    assert "before" in report.read_text() and "after" in report.read_text()


def test_diff_of_identical_runs_is_empty(tmp_path, src):
    a, b = tmp_path / "a", tmp_path / "b"
    runner.run(discover(str(src)), Job(PROCESS, str(a)), workers=1)
    runner.run(discover(str(src)), Job(PROCESS, str(b)), workers=1)
    d = diff(a, b)
    assert (d.changed, d.new_errors, d.fixed, d.unchanged) == ([], [], [], 6)


def test_stats_from_known_records():
    recs = [{"source": f"{i}", "source_bytes": 1000, "output_bytes": 100 * i,
             "seconds": i / 10, "error": None} for i in range(1, 11)]
    recs.append({"source": "x", "source_bytes": 5, "output_bytes": None, "seconds": 0.0,
                 "error": {"code": "BadRequest", "message": "m"}})
    s = stats.summarize(recs)
    assert (s.count, s.ok, s.failed, s.failures_by_code) == (11, 10, 1, {"BadRequest": 1})
    assert (s.bytes_in, s.bytes_out) == (10_000, 5_500)
    assert s.median_out == 550 and s.saved == pytest.approx(0.45)
    assert s.seconds["p50"] == pytest.approx(0.5) and s.seconds["max"] == pytest.approx(1.0)
    h = stats.histogram([1, 2, 2, 3, 10], bins=3)
    assert h.counts == (4, 0, 1) and h.edges == (1, 4, 7, 10)
    order = [r["source"] for r in stats.worst_first(recs)]
    assert order[0] == "x" and order[1] == "10" and order[-1] == "1"


def test_cli_dask_address_gives_the_same_outputs(tmp_path, src, capsys):
    distributed = pytest.importorskip("distributed")
    run_cli(capsys, "batch", src, PROCESS, "-o", tmp_path / "local", "--workers", "1")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        status, summary, _ = run_cli(capsys, "batch", src, PROCESS, "-o", tmp_path / "dask",
                                     "--dask", cluster.scheduler_address)
    assert status == 3 and summary["count"] == 6
    assert comparable(tmp_path / "dask") == comparable(tmp_path / "local")
    assert output_bytes(tmp_path / "dask") == output_bytes(tmp_path / "local")


def test_progress_bar_only_on_a_terminal(tmp_path, src, capsys, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    status, summary, err = run_cli(capsys, "batch", src, PROCESS, "-o", tmp_path / "o",
                                   "--workers", "1")
    assert status == 3 and summary["count"] == 6      # stdout stays pure JSON
    assert "6/6" in err and "failed=3" in err


def test_out_dir_inside_the_sources_is_not_walked(tmp_path, src, capsys):
    out = src / "out"
    assert run_cli(capsys, "batch", src, PROCESS, "-o", out, "--workers", "1")[0] == 3
    status, summary, _ = run_cli(capsys, "batch", src, PROCESS, "-o", out, "--workers", "1")
    assert summary["count"] == 6 and summary["reused"] == 6
    assert not any(name.startswith("out/") for name in records(out))


def test_same_stem_sources_keep_their_extension(tmp_path, capsys):
    src = tmp_path / "s"
    src.mkdir()
    Image.new("RGB", (40, 20), "red").save(src / "a.png")
    Image.new("RGB", (40, 20), "blue").save(src / "a.gif")
    out = tmp_path / "o"
    assert run_cli(capsys, "batch", src, "image/format,jpg", "-o", out, "--workers", "1")[0] == 0
    recs = records(out)
    assert (recs["a.png"]["output"], recs["a.gif"]["output"]) == ("a.png.jpg", "a.gif.jpg")


def test_diff_orders_changes_worst_first(tmp_path):
    src = tmp_path / "s"
    src.mkdir()
    # bright,40 leaves white pixels white: "half" changes half its pixels, "gray" all,
    # "white" none; "wide" gets other dimensions from the edited cascade's limit.
    Image.new("RGB", (100, 100), (120, 120, 120)).save(src / "gray.png")
    half = Image.new("RGB", (100, 100), (255, 255, 255))
    half.paste((120, 120, 120), (0, 0, 100, 50))
    half.save(src / "half.png")
    Image.new("RGB", (100, 100), (255, 255, 255)).save(src / "white.png")
    Image.new("RGB", (400, 100), (120, 120, 120)).save(src / "wide.png")
    old, new = tmp_path / "old", tmp_path / "new"
    runner.run(discover(str(src)), Job("image/resize,h_100", str(old)), workers=1)
    runner.run(discover(str(src)), Job("image/resize,h_100,w_200/bright,40", str(new)),
               workers=1)
    d = diff(old, new)
    assert [c.source for c in d.changed] == ["wide.png", "gray.png", "half.png"]
    assert d.changed[0].dims_changed and d.changed[0].pixels is None
    assert d.changed[1].pixels["differing"] == 1.0
    assert d.changed[2].pixels["differing"] == 0.5
    assert d.unchanged == 1

"""Where a process's resident memory is (Linux): the soak's memory columns.

``python bench/soak_memory.py SMAPS.json [I J]`` reads the ``--smaps`` dump of
bench/soak_viewer.py and shows which kinds of mapping (and which files) grew between
report I (default 1: after the first minute) and report J (default -1: the last).

Kinds of resident memory, from /proc/self/smaps:

- ``brk_heap``: glibc's main arena (the ``[heap]`` mapping);
- ``arenas``: glibc's per-thread arenas (anonymous mappings inside 64 MB reservations,
  found with malloc_info) -- or, without that, anonymous mappings of 64 MB or more;
- ``anon_other``: other anonymous mappings: big malloc blocks (mmapped), Python's
  object arenas, thread stacks, Qt's own mmaps;
- ``file:<path>``: pages of each mapped file (libraries, fonts) faulted in so far.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import sys

MB = 2 ** 20


def rss_bytes() -> int:
    """Resident set size now (Linux /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def rss_parts() -> dict[str, float]:
    """Resident memory by kind (MB, Linux): anonymous (heaps, mmapped buffers, Python's
    arenas) and file-backed (libraries and fonts as their pages get used)."""
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("RssAnon", "RssFile"):
                    out[key.lower()[3:] + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    except (OSError, ValueError):
        pass
    return out


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def malloc_stats() -> dict[str, float]:
    """glibc's view of the C heap (MB): arena bytes in use and free, mmapped bytes.
    Empty where mallinfo2 is not available (other libcs, other platforms)."""
    lib = _libc()
    fn = getattr(lib, "mallinfo2", None)
    if fn is None:
        return {}
    fn.restype = _MallInfo2
    m = fn()
    return {"heap_used_mb": round(m.uordblks / MB, 1), "heap_free_mb": round(m.fordblks / MB, 1),
            "mmap_mb": round(m.hblkhd / MB, 1)}


def malloc_info() -> str:
    """glibc's malloc_info XML (every arena's sizes), or '' elsewhere."""
    lib = _libc()
    if lib is None or not hasattr(lib, "malloc_info") or not hasattr(lib, "open_memstream"):
        return ""
    buf = ctypes.c_char_p()
    size = ctypes.c_size_t()
    lib.open_memstream.restype = ctypes.c_void_p
    lib.open_memstream.argtypes = (ctypes.POINTER(ctypes.c_char_p),
                                   ctypes.POINTER(ctypes.c_size_t))
    lib.malloc_info.argtypes = (ctypes.c_int, ctypes.c_void_p)
    lib.fclose.argtypes = (ctypes.c_void_p,)
    lib.free.argtypes = (ctypes.c_void_p,)
    stream = lib.open_memstream(ctypes.byref(buf), ctypes.byref(size))
    if not stream:
        return ""
    lib.malloc_info(0, stream)
    lib.fclose(stream)
    text = ctypes.string_at(buf, size.value).decode("ascii", "replace")
    lib.free(ctypes.cast(buf, ctypes.c_void_p))
    return text


def arena_summary(xml: str) -> list[dict]:
    """Per arena from malloc_info: total and free bytes (MB), heaps (mmapped 64 MB
    reservations of thread arenas)."""
    out = []
    for m in re.finditer(r'<heap nr="(\d+)">(.*?)</heap>', xml, re.S):
        body = m.group(2)
        total = re.search(r'<total type="rest" count="\d+" size="(\d+)"/>', body)
        fast = re.search(r'<total type="fast" count="\d+" size="(\d+)"/>', body)
        cur = re.search(r'<system type="current" size="(\d+)"/>', body)
        free = (int(total.group(1)) if total else 0) + (int(fast.group(1)) if fast else 0)
        out.append({"arena": int(m.group(1)),
                    "system_mb": round(int(cur.group(1)) / MB, 1) if cur else None,
                    "free_mb": round(free / MB, 1)})
    return out


_HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def smaps() -> list[dict]:
    """Every mapping of this process: start, size, rss (bytes), path ('' if anonymous)."""
    maps = []
    cur = None
    try:
        f = open("/proc/self/smaps")
    except OSError:
        return maps
    with f:
        for line in f:
            m = _HEADER.match(line)
            if m:
                cur = {"start": int(m.group(1), 16), "size": int(m.group(2), 16) - int(m.group(1), 16),
                       "perms": m.group(3), "path": m.group(4).strip(), "rss": 0}
                maps.append(cur)
            elif line.startswith("Rss:") and cur is not None:
                cur["rss"] = int(line.split()[1]) * 1024
    return maps


ARENA_ALIGN = 64 * MB   # glibc's HEAP_MAX_SIZE on 64-bit: thread arena heaps are aligned to it


def breakdown(maps: list[dict] | None = None) -> dict[str, float]:
    """Resident MB by kind (see the module doc), largest first."""
    maps = smaps() if maps is None else maps
    kinds: dict[str, int] = {}
    # Anonymous mappings that start on a 64 MB boundary and lie inside one 64 MB block
    # are glibc thread-arena heaps (their unused tail is PROT_NONE, a separate mapping).
    for mp in maps:
        path = mp["path"]
        if path == "[heap]":
            kind = "brk_heap"
        elif path.startswith("[stack"):
            kind = "main_stack"
        elif path.startswith("["):
            kind = "other " + path
        elif path:
            kind = "file:" + path
        elif mp["start"] % ARENA_ALIGN == 0 and mp["size"] <= ARENA_ALIGN:
            kind = "arenas"
        elif mp["perms"] == "---p":
            kind = "reserved"
        else:
            kind = "anon_other"
        kinds[kind] = kinds.get(kind, 0) + mp["rss"]
    return {k: round(v / MB, 2) for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])
            if v}


def anon_sizes(maps: list[dict] | None = None) -> dict[str, float]:
    """Resident MB of the other anonymous mappings by mapping size (a histogram that tells
    Python's 1 MB arenas, 8 MB thread stacks and mmapped image buffers apart)."""
    maps = smaps() if maps is None else maps
    out: dict[str, int] = {}
    for mp in maps:
        if mp["path"] or mp["perms"] == "---p" or (
                mp["start"] % ARENA_ALIGN == 0 and mp["size"] <= ARENA_ALIGN):
            continue
        size = mp["size"]
        key = ("<=256K" if size <= 256 << 10 else "<=1M" if size <= MB else
               "<=4M" if size <= 4 * MB else "<=8.1M" if size <= 8 * MB + 64 << 10 else ">8M")
        out[key] = out.get(key, 0) + mp["rss"]
    return {k: round(v / MB, 2) for k, v in out.items()}


def snapshot() -> dict:
    maps = smaps()
    return {"breakdown": breakdown(maps), "anon_sizes": anon_sizes(maps),
            "arenas": arena_summary(malloc_info())}


def diff(a: dict, b: dict, top: int = 25) -> list[tuple[str, float, float]]:
    keys = set(a) | set(b)
    rows = [(k, a.get(k, 0.0), b.get(k, 0.0)) for k in keys]
    rows.sort(key=lambda r: -abs(r[2] - r[1]))
    return rows[:top]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 3):
        print(__doc__)
        return 2
    with open(argv[0]) as f:
        reports = json.load(f)
    i, j = (int(argv[1]), int(argv[2])) if len(argv) == 3 else (1, -1)
    a, b = reports[i], reports[j]
    print(f"t={a['t']} s -> t={b['t']} s")
    for section in ("breakdown", "anon_sizes"):
        print(f"-- {section} (MB): first, last, change")
        for k, x, y in diff(a[section], b[section]):
            print(f"{y - x:+8.2f}  {x:8.2f} -> {y:8.2f}  {k}")
    print("-- arenas at the end:", b.get("arenas"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

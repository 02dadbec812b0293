"""oss-style-viewer core: Alibaba Cloud OSS image processing (x-oss-process), locally.

Pure Python + Pillow; never imports Qt. Public API::

    from core import parse, to_string, process, info
    cascade = parse("image/resize,w_100/rotate,90")
    to_string(cascade)                       # canonical "image/resize,w_100/rotate,90"
    result = process("photo.jpg", "image/resize,w_100")
    result.data, result.format, result.width, result.height
    info("photo.jpg")                        # the OSS image/info JSON as a dict
"""
from .cascade import Cascade, parse, resolve, to_string
from .engine import Engine, Result, Source, info, process
from .errors import OssError
from .params import REGISTRY as OPERATIONS

__all__ = ["Cascade", "Engine", "OPERATIONS", "OssError", "Result", "Source", "info",
           "parse", "process", "resolve", "to_string"]

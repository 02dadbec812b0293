"""``oss-img serve``: a local, OSS-compatible object and image service over core.

Each folder under ROOT is a bucket and each file in it an object (``ROOT/<bucket>/<key>``).

* :mod:`.service` -- ``OssService.handle(Request) -> Response``: OSS semantics, no HTTP
  (operations in :mod:`.objects`, :mod:`.deletes`, :mod:`.buckets`, :mod:`.bucketinfo`,
  :mod:`.multipart`, :mod:`.versioning`; previous versions stored by :mod:`.versions`).
* :mod:`.store`, :mod:`.meta`, :mod:`.styles` -- the filesystem: objects, their
  metadata, styles.
* :mod:`.imaging` -- image work in a pool of worker processes with time/memory limits.
* :mod:`.wsgi` -- the WSGI application (``make_app``, ``create_app`` for gunicorn).
* :mod:`.runner` -- the embedded waitress server, ``serve()`` and the CLI sub-command;
  :mod:`.tls` -- HTTPS in front of it (``--certfile``/``--keyfile``).

Decisions (why, and how to change them) are in ``docs/COMPATIBILITY.md``.
"""

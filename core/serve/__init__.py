"""``oss-img serve``: a local OSS-compatible image service over core's engine."""

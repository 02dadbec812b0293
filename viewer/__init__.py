"""oss-style-viewer: the Qt desktop application over ``core``."""

"""Every IMG action, one module per family. Importing this package registers them all
in :data:`core.params.REGISTRY`."""
from . import geometry, adjust, output, query, watermark  # noqa: F401

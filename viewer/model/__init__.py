"""The viewer's model and rendering: the document, sessions and connections, sources,
and the background work behind the views (no widgets here)."""

"""The canvas: the preview's before/after compare, editing on the canvas, A/B compare."""

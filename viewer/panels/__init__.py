"""The panels and bars around the canvas: thin views over the one document."""

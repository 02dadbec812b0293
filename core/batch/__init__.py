"""Batch: one cascade or style over many images -- sources, work, runner, manifest,
stats, diff and report (see :mod:`core.cli.batch` for the command line)."""

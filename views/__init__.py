"""Blueprints, one per area: read the request, check access, validate, call one
domain operation, render."""

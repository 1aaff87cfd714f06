"""The settings room: every UNIFY_* setting and its default, read once (settings.py). It sits below
every other room and imports none of them, so the pure cores, the search and the pipeline all
take their defaults from it."""

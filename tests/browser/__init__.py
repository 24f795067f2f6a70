"""Browser tests (a package, so its test modules may share basenames with tests/)."""

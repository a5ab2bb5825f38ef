"""The `observatory` command line: thin commands over the harness."""

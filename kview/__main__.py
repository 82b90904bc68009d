"""`python -m kview`: the same as the `kview` command."""

from kview.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Filters over tail records: the language (``parser.py``, built from the
matchers in ``predicates.py``) and the incremental filtered view over the
ring (``view.py``)."""

from kview.core.filters.parser import Filter, FilterError, parse_filter
from kview.core.filters.predicates import JSON_CACHE, JsonCache, json_of
from kview.core.filters.view import FilterView

__all__ = ["JSON_CACHE", "Filter", "FilterError", "FilterView", "JsonCache", "json_of", "parse_filter"]

"""Generated pydantic models (filled by `make generate`; never edited by hand)."""

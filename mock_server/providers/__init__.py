"""One module per built-in provider, each defining its `sdcontracts.mock` handler class (its profile names it)."""

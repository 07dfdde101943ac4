"""One module per provider, each defining ``HANDLER``, its `sdcontracts.mock` handler class."""

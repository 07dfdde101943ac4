"""Provider emulation (handlers, state, adapters)."""

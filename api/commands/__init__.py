"""Sub-commands of `hotline`, one module per domain."""

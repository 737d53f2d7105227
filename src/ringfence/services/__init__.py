"""The five services, each a package of its own on the shared core."""

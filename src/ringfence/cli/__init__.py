"""The ``ringfence`` command line."""

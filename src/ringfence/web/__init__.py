"""HTTP edge: the app factory, pages, health, metrics and error mapping."""

from ringfence.web.app import create_app

__all__ = ["create_app"]

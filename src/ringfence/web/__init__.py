"""HTTP edge: the app factory (``ringfence.web.app.create_app``), pages, health, metrics and
error mapping. Nothing is imported here, so a module of the core can use ``ringfence.http.visitors``
without loading the whole app."""

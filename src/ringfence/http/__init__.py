"""What the routes of the core and of the services share: typed request dependencies
(``deps``), who is asking (``visitors``), the app's one instance of each service object
(``instances``) and the country choices of forms (``countries``). It sits above the
capabilities and below the services and ``ringfence.web``, which assembles the app."""

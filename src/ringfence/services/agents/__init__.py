"""agents: AI phone agents for businesses: businesses (tenants) with members in roles, agent
definitions with their knowledge base, the inbound receptionist on live calls, outbound campaigns,
evaluation calls, and the calls' records (transcripts, summaries, recordings), each business's
data its own.

By capability: ``calls`` (the voice pipeline and the calls an agent is on), ``dialogue`` (what an
agent understands and says), ``campaigns`` (contact lists, calling rules, the dialler),
``evaluations`` (mystery-shopper calls and their scores), ``voices`` (custom voices with consent)
and ``web`` (the JSON API and the pages). At the top: the agents themselves (``service``), the
tables (``models``), their privacy declarations (``privacy``), the jobs (``jobs``), the manifest
and the test helpers (``testing``).
"""

"""Outbound campaigns: the campaigns themselves (``service``), contact lists imported from CSV
(``contacts``, ``csvstream``), the calling rules checked before every dial (``rules``), and the
dialler that shares a campaign among workers (``dialler``).

Import from the modules: calls and campaigns use each other's modules (the dialler places
outbound calls; an outbound call puts an opt-out on the contact list), so neither package's
``__init__`` imports its modules, and loading one never loops through the other.
"""

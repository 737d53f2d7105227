"""Calls with an agent on them: the voice pipeline on a call's frames (``pipeline``), the parts it
is built from (``components``), the inbound receptionist, the outbound campaign call with its
answering-machine detection (``outbound``, ``answering``), talking to an agent from the browser
(``browser``), and the records every call leaves (``records``).

Import from the modules: calls and campaigns use each other's modules (an outbound call puts an
opt-out on the contact list; the dialler places outbound calls), so neither package's ``__init__``
imports its modules, and loading one never loops through the other.
"""

"""The nudge scheduler: fire times, the dispatch pass, the senders it hands nudges to.

Deliberately empty of imports: ``bot.storage`` uses :mod:`bot.scheduling.triggers`, and
the dispatcher uses ``bot.storage``, so eager imports here would form a cycle.
"""

"""Events other features react to without the submissions package importing them."""
from blinker import Namespace

_signals = Namespace()

# Sent inside the submitting transaction, after the new Round is added: sender=submission, round=Round.
round_submitted = _signals.signal("round-submitted")

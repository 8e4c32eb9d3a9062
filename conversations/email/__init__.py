"""The e-mail front: the mail provider's inbound webhook (decision 0614)."""

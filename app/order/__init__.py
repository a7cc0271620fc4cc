"""Orders: one checkout, one payment, one fulfilment per supplier."""

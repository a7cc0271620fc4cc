"""Batch traceability (溯源): harvest batches, their public codes and QR codes."""

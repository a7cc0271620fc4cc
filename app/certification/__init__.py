"""Product certificates (GI, green food, organic): numbers, validity and verification."""

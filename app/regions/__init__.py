"""Provinces, prefectures, counties (GB/T 2260) and the pairings between regions."""

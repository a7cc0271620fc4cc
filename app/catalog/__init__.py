"""Products, their variants (SKUs), tier prices, photos and categories."""

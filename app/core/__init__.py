"""Infrastructure with no business rules: database, money, errors, clock."""

"""Fengshou (丰收): the consumption-assistance marketplace application."""

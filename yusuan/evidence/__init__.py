"""Evidence: every stored number shown where it is printed (a crop of its page, its row outlined)."""

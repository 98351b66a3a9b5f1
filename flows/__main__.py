"""``python -m flows``: the ``yusuan`` command."""

from flows.launch import main

main()

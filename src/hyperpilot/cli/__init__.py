"""The ``hyperpilot`` command line: run a study from a file, list, show, export, delete.

One module per command group: :mod:`._run` (``hyperpilot run``), :mod:`._studies`
(``hyperpilot studies ...``), :mod:`._report` (``hyperpilot report``); :mod:`._target`
reads the Python or YAML file that ``run`` is given, :mod:`._common` holds the errors and
plain-text tables they share, and :mod:`._main` builds the parser and turns errors into
one-line messages and exit codes.
"""

"""The HTML report of one or more studies: a registry of sections rendered into one file.

* :mod:`._content`: what a section is given (:class:`ReportContext`) and returns (blocks);
* :mod:`._sections`: :class:`ReportSection` and the registry :data:`REPORT_SECTIONS`;
* :mod:`._study`, :mod:`._compare`: the sections of one study and of several;
* :mod:`._extra`: sections drawn by other analysis modules that need choices made;
* :mod:`._narrative`: the summary in words, built from the numbers;
* :mod:`._html`: the page (plotly.js inlined once);
* :mod:`._write`: :func:`report`, which runs the sections and writes the file.

Nothing is imported here: the names load from ``hyperpilot.analysis`` on first access.
"""

"""rouse_py: offline checks of rouse's generated Modal apps against the real `modal` SDK."""

__version__ = "0.1.0"

"""How values read for people: amounts as newsrooms write them, event-type labels, times.

Pure functions, no I/O: the API (JSON `display` fields beside the numbers), the web page
(which shows those fields), the CLI and SSE consumers all format through these.
"""

# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""Writing rows by COPY: its text format, and a second thread writing in the
same transaction while the first one goes on."""

import io
import sys
import threading
import time

from odoo import sql_db

# The interpreter's switch interval while a writer runs (seconds; Python's
# default is 0.005). Each step of a COPY (sending its text, ending it, reading
# its result) needs the interpreter's lock back, which the first thread,
# computing, hands over only at this interval: at the default, PostgreSQL
# would wait on these handovers for about a third of the reminders' COPYs.
SWITCH_INTERVAL = 0.0002
# The interval is the process's: writers running at once in several threads
# (two "Remind now" in a threaded server) share it, set by the first one to
# start and restored by the last one to end.
_switch_lock = threading.Lock()
_switch_state = {"writers": 0, "saved": None}

# COPY's text format: backslash, tab, newline and carriage return escaped.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
TAB = "\t"
# COPY's null marker: str(None), so that a row's text is "\t".join(map(str,
# values)) (a text "None" is written \None: backslash, then "None").
NULL = "None"


def copy_text(value):
    """``value`` (a text or None) as COPY's text format reads it."""
    if value is None or ("\\" not in value and value.isprintable() and value != NULL):
        return value
    if value == NULL:
        return "\\" + value  # the text, not the null marker
    return value.translate(COPY_ESCAPES)


def run_statement(cursor, statement, text):
    """Run on ``cursor`` a statement, or a COPY ... FROM STDIN reading ``text``
    (see BackgroundWriter.submit)."""
    if text is None:
        cursor.execute(statement)
    else:
        # in one read: a second thread needs the interpreter's lock for each
        # read, while the first one computes
        cursor.copy_expert(statement, io.StringIO(text), size=len(text) + 1)


class BackgroundWriter:
    """Runs statements (COPYs mostly) on the connection of a cursor, so in its
    transaction, from a second thread, while this one goes on preparing the
    next rows: the daily run's two halves, Python computing the rows and
    PostgreSQL storing them and checking their foreign keys, then use two
    processor cores instead of waiting on each other.

    Used as a context manager around the work::

        with BackgroundWriter(cr) as writer:
            writer.submit(("COPY ... FROM STDIN", text), ...)
            ...  # compute the next rows

    One job at a time, in the order submitted. A connection carries one
    statement at a time, and psycopg2 does not keep another thread out while a
    COPY's data is sent: inside the block, any query of the cursor (the ORM's
    included) first waits for the job running. Leaving the block waits for the
    last job and raises the error a job met.
    """

    def __init__(self, cr):
        self._cr = cr
        self._connection = cr.connection
        self._hooks = getattr(threading.current_thread(), "query_hooks", ())
        self._thread = None
        self._error = None
        self._shadowed = None

    def __enter__(self):
        with _switch_lock:
            if not _switch_state["writers"]:
                _switch_state["saved"] = sys.getswitchinterval()
                sys.setswitchinterval(min(_switch_state["saved"], SWITCH_INTERVAL))
            _switch_state["writers"] += 1
        cr = self._cr
        self._shadowed = cr.__dict__.get("execute")
        execute = cr.execute

        def execute_after_writer(*args, **kwargs):
            self.wait()
            return execute(*args, **kwargs)

        cr.execute = execute_after_writer
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        cr = self._cr
        with _switch_lock:
            _switch_state["writers"] -= 1
            if not _switch_state["writers"]:
                sys.setswitchinterval(_switch_state["saved"])
        if self._shadowed is None:
            del cr.execute
        else:
            cr.execute = self._shadowed
        # (an error already on its way goes on rather than the job's)
        self.wait(quietly=exc_type is not None)

    def submit(self, *statements):
        """Run these statements, in order, once the previous job is done.

        :param statements: (sql, copy text or None) pairs: a COPY ... FROM
            STDIN reads its text, another statement none
        """
        self.wait()
        if not statements:
            return
        self._thread = threading.Thread(
            target=self._run, args=(statements,), name="dunning-writer", daemon=True
        )
        self._thread.start()

    def _run(self, statements):
        try:
            with self._connection.cursor() as cursor:
                for statement, text in statements:
                    start = time.time()
                    run_statement(cursor, statement, text)
                    # counted and reported as the cursor's own queries are
                    sql_db.sql_counter += 1
                    for hook in self._hooks:
                        hook(cursor, statement, None, start, time.time() - start)
        except BaseException as error:  # noqa: BLE001 - raised again by wait()
            self._error = error

    def wait(self, quietly=False):
        """Wait for the job running; raise its error if it failed (unless
        ``quietly``)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None and not quietly:
            raise error

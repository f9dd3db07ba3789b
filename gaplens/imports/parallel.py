"""A large export parsed on a second core: a child process reads and validates, this one writes.

An import's time is split about evenly between parsing (decoding CSV or JSON, validating
every field, making ids) and writing (the driver's executemany or COPY, and the database's
own work). Python runs one thread at a time, so threads cannot overlap the two; a process
can. The child is forked with everything already set up (the open reader, the writers, the
directory's identities), runs the import loop, and sends each batch's writes here as plain
values (pickled: rows of strings, numbers and dates); this process executes them in order in
its one session and transaction, exactly as the single-process loop would. Nothing else
changes: a problem found by the child is raised here, before commit, so a bad file still
writes nothing; the child touches neither the session nor the database.

Only files of at least `PARALLEL_MIN_BYTES` take this path (a fork and the pickling cost more
than they save on a small file), and only where `os.fork` exists. The caller may have other
threads (the CLI's progress bar, the web app's workers): the child needs no lock one of them
could hold at the fork, since it only reads the file, computes and writes to its slot files
and pipe (no logging, printing or database driver), and it leaves with `os._exit` before
anything else runs, so no inherited connection is closed and no stream flushed by it. (The
report's prefetch, gaplens/metrics/prefetch.py, opens a database connection in its child, so
it forks only from a single-threaded process.)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import struct
import tempfile
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gaplens.errors import InputError, InputProblem

PARALLEL_MIN_BYTES = 32 * 2**20
"""Files smaller than this (32 MiB, ~60,000 Jira rows) are imported in one process."""
EXIT_SECONDS = 5.0
"""How long the child may take to leave once it has sent its result, or been told to."""
SLOTS = 6
"""Messages the child may be ahead of the writes: memory stays flat (a batch is a few MB)."""

T = TypeVar("T")


class Writes(Protocol):
    """Where an import loop sends its database writes: run now, behind, or by the parent."""

    def submit(self, write: Callable[..., Any], *args: Any) -> None: ...


Progress = Callable[[int], None]
Produce = Callable[[Writes, Progress | None], T]
"""An import loop: reads everything, sends its writes to `Writes`, reports bytes read to
`Progress`, and returns its counts (plain, picklable values)."""


class ImportProcessError(RuntimeError):
    """The parsing process failed in a way that is not the file's fault (a defect)."""


def worth_a_second_process(path: Path) -> bool:
    """Whether `path` is big enough to parse in a child process, and this system can fork."""
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and path.stat().st_size >= PARALLEL_MIN_BYTES
    )


def run_import_loop(
    produce: Produce[T],
    writes: Writes,
    progress: Progress | None,
    targets: Sequence[object],
    in_child: bool,
) -> T:
    """`produce(writes, progress)` here, or in a forked child when `in_child`.

    `targets` are the objects whose methods `produce` submits as writes; the child names a
    write by the target's position in this list and the method's name, and this process
    runs that method of its own copy of the object. Each target therefore keeps in its own
    state only what was set before the fork, and takes everything else as arguments."""
    if not in_child:
        return produce(writes, progress)
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    slots = _Slots(context)
    child = context.Process(
        target=_child_main,
        args=(produce, sending, slots, targets),
        name="gaplens-import-parse",
        daemon=True,
    )
    child.start()
    sending.close()  # the child's end: once the child exits, a read here ends, never hangs
    try:
        while True:
            try:
                notice = receiving.recv_bytes()
            except EOFError:
                child.join()
                raise ImportProcessError(
                    f"the parsing process ended without a result (exit code {child.exitcode})"
                ) from None
            message = pickle.loads(slots.take(notice))
            tag = message[0]
            if tag == "write":
                _, position, name, args = message
                writes.submit(getattr(targets[position], name), *args)
            elif tag == "progress":
                if progress is not None:
                    progress(message[1])
            elif tag == "done":
                result: T = message[1]
                child.join(timeout=EXIT_SECONDS)  # its last message: it is leaving
                return result
            elif tag == "input-error":
                raise InputError(message[1], message[2])
            else:
                raise ImportProcessError(f"the parsing process failed:\n{message[1]}")
    finally:
        if child.is_alive():  # a write here failed: nothing more of the file is wanted
            child.terminate()
            child.join(timeout=EXIT_SECONDS)
            if child.is_alive():
                child.kill()
        child.join()
        receiving.close()
        slots.close()


class _Slots:
    """`SLOTS` anonymous files the child writes messages into, announced on the pipe.

    A pipe holds 64 KiB, so sending a batch of a few MB down it would keep the child at most
    one batch ahead, and each side would wait for the other at every batch. Here the child
    writes a whole message to a free slot in one call and announces it with a few bytes; a
    semaphore counts the free slots, so it runs up to `SLOTS` messages ahead and memory stays
    flat. A thread reading the pipe instead was measured slower: it fights the writes for
    the GIL, which SQLite's driver gives up and takes back for every row."""

    def __init__(self, context: Any) -> None:
        # Closed by `close`, when the import loop ends (not a with block: it spans the loop).
        self._files = [tempfile.TemporaryFile() for _ in range(SLOTS)]  # noqa: SIM115
        self._free = context.Semaphore(SLOTS)
        self._next = 0

    def put(self, data: bytes) -> bytes:
        """Writes `data` to the next slot once it is free; the notice to send for it."""
        self._free.acquire()
        slot = self._next
        self._next = (slot + 1) % SLOTS
        os.pwrite(self._files[slot].fileno(), data, 0)
        return _NOTICE.pack(slot, len(data))

    def take(self, notice: bytes) -> bytes:
        """The message a notice announces; its slot is free again."""
        slot, size = _NOTICE.unpack(notice)
        data = os.pread(self._files[slot].fileno(), size, 0)
        self._free.release()
        if len(data) != size:
            raise ImportProcessError(f"a message of {size} bytes read as {len(data)}")
        return data

    def close(self) -> None:
        for file in self._files:
            file.close()


_NOTICE = struct.Struct("<iQ")


class _ToParent:
    """The child's `Writes`: each write (target, method, values) goes to the parent."""

    def __init__(self, connection: Connection, slots: _Slots, targets: Sequence[object]) -> None:
        self._connection = connection
        self._slots = slots
        self._positions = {id(target): position for position, target in enumerate(targets)}

    def submit(self, write: Callable[..., Any], *args: Any) -> None:
        target = getattr(write, "__self__", None)
        position = self._positions.get(id(target))
        if position is None:
            raise ImportProcessError(f"{write!r} is not a method of a registered target")
        self.send(("write", position, write.__name__, args))

    def progress(self, done: int) -> None:
        self.send(("progress", done))

    def send(self, message: tuple[Any, ...]) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self._connection.send_bytes(self._slots.put(data))


def _child_main(
    produce: Produce[Any], connection: Connection, slots: _Slots, targets: Sequence[object]
) -> None:
    # The parent's handlers (a web server's, which only set a flag) must not keep the child
    # alive when the parent ends it.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    channel = _ToParent(connection, slots, targets)
    try:
        result = produce(channel, channel.progress)
    except InputError as error:
        problems: list[InputProblem] = list(error.problems)
        channel.send(("input-error", problems, error.more))
    except BaseException:  # reported to the parent, which raises it
        channel.send(("error", traceback.format_exc()))
    else:
        channel.send(("done", result))
    finally:
        connection.close()
        # Leave at once: multiprocessing would next flush the standard streams, whose locks
        # another thread of the parent (a progress bar, a server's logger) may have held
        # when it forked.
        os._exit(0)

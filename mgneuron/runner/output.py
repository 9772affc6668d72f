"""The output file of a run: claimed before the first condition, never clobbered.

Before anything is simulated :func:`claim_output` checks that the run may write where it
is told to, and takes a lock on it:

- the output is a regular file or does not exist (not a directory, a device such as
  ``/dev/full``, a fifo), and its folder can be created and written to;
- no other run is writing it: an exclusive, non-blocking ``fcntl.flock`` on the sidecar
  ``FILE.h5.lock``, which holds the owner's pid, host and start time for the message a
  second run gets (the lock goes with its process: a killed run leaves no stale lock);
- finished work is never lost: an unfinished run's ``FILE.h5.partial`` holding finished
  conditions is continued only with ``resume`` and discarded only with ``overwrite``;
- an existing results file is replaced only with ``overwrite`` (and only when the new
  run completes: until then the old file stays as it was).

Under MPI only rank 0 writes, so only rank 0 claims the output.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import os
import socket
import stat
from pathlib import Path

import h5py

from mgneuron.errors import ProtocolError
from mgneuron.results import partial_path

__all__ = ["OutputLock", "claim_output", "lock_path"]


def lock_path(path: str | os.PathLike) -> Path:
    """Where the lock of a run writing ``path`` lives: ``<path>.lock``."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


class OutputLock:
    """An exclusive lock on an output path (``<path>.lock``), held until :meth:`release`.

    Parameters
    ----------
    path : path
        The results file the lock guards.

    Raises
    ------
    ProtocolError
        Another process holds the lock (the message names its pid, host and start
        time), or the lock file cannot be created (the folder is not writable).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = lock_path(path)
        self._fd: int | None = None
        while self._fd is None:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise ProtocolError(
                    f"cannot write in {self.path.parent}: creating {self.path.name} failed "
                    f"({exc.strerror or exc}); choose an --out in a folder you can write to"
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                owner = _read_owner(fd)
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise ProtocolError(f"cannot lock {self.path}: {exc}") from None
                raise ProtocolError(
                    f"another run is writing {Path(path)} ({owner or 'owner unknown'}; lock "
                    f"{self.path}): wait for it to finish, or choose another --out"
                ) from None
            # The owner before us may have removed the file between our open and flock:
            # then we hold a lock on a file nobody else sees. Try again on the new one.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self._fd = fd
        started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
        text = f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n"
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)

    def release(self) -> None:
        """Remove the lock file and release the lock (again: nothing)."""
        if self._fd is None:
            return
        try:
            # Removed while still locked, so no other run locks the old file meanwhile.
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        """Return the lock itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Release the lock (see :meth:`release`)."""
        self.release()


def _read_owner(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode(errors="replace").strip()
    except OSError:
        return ""


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a fifo"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _check_regular(path: Path, what: str) -> bool:
    """Say whether ``path`` exists (True) as a regular file; refuse anything else there.

    Raises
    ------
    ProtocolError
        ``path`` is a directory, a device, a fifo or a socket, or cannot be looked at.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ProtocolError(f"cannot use {path} as {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        raise ProtocolError(
            f"{path} is {_file_kind(mode)}, not a results file: --out must name a regular "
            "file or a path that does not exist yet"
        )
    return True


def _describe(path: Path) -> tuple[str | None, int | None, str]:
    """(protocol, finished conditions, words) of an existing results or partial file."""
    try:
        with h5py.File(path, "r") as f:
            protocol = f.attrs.get("protocol")
            status = f.attrs.get("status")
            g = f.get("conditions")
            n = int(g.attrs.get("n_rows", 0)) if g is not None else 0
    except OSError:
        return None, None, "not a readable mgneuron results file"
    protocol = str(protocol) if protocol is not None else None
    return protocol, n, f"protocol {protocol}, status {status}, {n} finished condition(s)"


def claim_output(
    path: str | os.PathLike, protocol: str, resume: bool, overwrite: bool
) -> OutputLock:
    """Check that a run may write ``path`` and lock it (before anything is simulated).

    Parameters
    ----------
    path : path
        The results file.
    protocol : str
        The protocol of the run (a partial file of another protocol is not resumed).
    resume : bool
        Continue the run in ``<path>.partial`` (its parameters are checked by the writer).
    overwrite : bool
        Replace an existing results file, and discard an unfinished ``<path>.partial``.

    Returns
    -------
    OutputLock
        Held until the caller releases it (at the end of the run, on errors too).

    Raises
    ------
    ProtocolError
        The path names no file (``""``, ``/``), is not a regular file, its folder is
        not writable, another run holds it, or the run would replace a results file or
        an unfinished run without being told to (the message names ``--overwrite`` and
        ``--resume``).
    """
    path = Path(path)
    if not path.name:  # "" (read as "."), "/": no file name to write or lock
        raise ProtocolError(
            f"--out names no file (it reads as {str(path)!r}): give a file name, e.g. "
            "results/run.h5"
        )
    part = partial_path(path)
    _check_regular(path, "the results file")
    _check_regular(part, "the unfinished results file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProtocolError(
            f"cannot create the folder {path.parent} for {path.name}: {exc.strerror or exc}"
        ) from None
    lock = OutputLock(path)
    try:
        _check_existing(path, part, protocol, resume, overwrite)
    except BaseException:
        lock.release()
        raise
    return lock


def _check_existing(path: Path, part: Path, protocol: str, resume: bool, overwrite: bool):
    has_partial = _check_regular(part, "the unfinished results file")
    has_final = _check_regular(path, "the results file")
    if has_partial and resume:
        other, _, words = _describe(part)
        if other is None:
            raise ProtocolError(
                f"cannot resume {part}: {words}; discard it with --overwrite (without "
                "--resume), or choose another --out"
            )
        if other != protocol:
            raise ProtocolError(
                f"cannot resume {part}: it holds an unfinished run of protocol {other}, not "
                f"{protocol}; resume it with `mgneuron run {other} ... --resume`, discard it "
                "with --overwrite (without --resume), or choose another --out"
            )
    elif has_partial and not overwrite:
        _, n, words = _describe(part)
        if n is None or n > 0:
            raise ProtocolError(
                f"{part} holds an unfinished run ({words}): continue it with --resume, "
                "discard it with --overwrite, or choose another --out"
            )
    if has_final and not overwrite:
        other, _, words = _describe(path)
        if resume and has_partial:
            raise ProtocolError(
                f"{path} exists ({words}) and resuming {part.name} would replace it when "
                "the run finishes: add --overwrite to let it, or move the file away"
            )
        if resume:
            raise ProtocolError(
                f"nothing to resume: there is no {part.name}, and {path} is a finished "
                f"results file ({words}); run again with --overwrite to replace it, or "
                "choose another --out"
            )
        raise ProtocolError(
            f"{path} exists ({words}); pass --overwrite to replace it, or choose another --out"
        )

"""Output goes through what the user names, as a shell's `>` does.

A regular file is written whole or not at all, a symlink is followed, and a device, a FIFO or
/dev/fd/N is written directly: never replaced, truncated before success or chmod'ed. Every
test runs real processes on real files, devices, FIFOs and pipes.

As root, a rapport that replaced what it was given could replace the machine's own /dev/stdout
or chmod /dev/null; the tests that name /dev itself therefore run where /dev is mounted
read-only (a private mount namespace), and the others use device nodes made in tmp_path.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from conftest import rapport_process, snapshot

RAPPORT = f"{shlex.quote(sys.executable)} -m rapport"


@pytest.fixture
def story(run):
    for step in [
        ("add", "Jörg Weiß", "--company", "Müller & Söhne"),
        ("log", "weiss", "Mittag am Hafen → Segeln", "--at", "2025-03-01 12:00"),
        ("impression", "weiss", "Ruhig, genau", "--score", "1", "--at", "2025-03-01 18:00"),
    ]:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    return run("export").stdout.encode()


@pytest.fixture
def big(run, tmp_path):
    """A journal whose export is far larger than a pipe holds (64 KiB), so that a reader that
    stops early is certain to meet a writer that is not done."""
    client = str(uuid.uuid4())
    lines = [
        {"type": "header", "format": 1},
        {"type": "client", "uuid": client, "name": "Konrad Brandt", "company": None,
         "role": None, "email": None, "phone": None, "tags": [], "cadence_days": None,
         "archived": False, "created_at": "2025-01-01T10:00:00+00:00"},
    ]  # fmt: skip
    lines += [
        {"type": "interaction", "uuid": str(uuid.uuid4()), "client_uuid": client,
         "client_name": "Konrad Brandt", "at": f"2025-01-01T10:{n % 60:02}:00+00:00",
         "kind": "note", "note": f"Gespräch {n} " + "über das Segeln " * 20, "mood": None,
         "tags": [], "author": "Tester", "created_at": "2025-01-01T10:00:00+00:00"}
        for n in range(1500)
    ]  # fmt: skip
    source = tmp_path / "big.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert run("import", str(source)).exit_code == 0
    source.unlink()
    return rapport_process("export").stdout


def device(path: Path, major: int, minor: int) -> Path:
    """A character device node in tmp_path: /dev/full is (1, 7), /dev/null (1, 3)."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    os.chmod(path, 0o666)  # past the umask
    return path


def with_read_only_dev(command: str) -> list[str]:
    """`command` for bash; as root, in a mount namespace of its own where /dev is read-only."""
    if os.geteuid() != 0:
        return ["bash", "-c", command]
    if not shutil.which("unshare"):
        pytest.skip("needs unshare to keep /dev safe as root")
    guard = "mount --bind /dev /dev && mount -o remount,bind,ro /dev && "
    return ["unshare", "-m", "bash", "-c", guard + command]


def shell(command: list[str] | str, **kwargs) -> subprocess.CompletedProcess[bytes]:
    if isinstance(command, str):
        command = ["bash", "-c", command]
    done = subprocess.run(command, capture_output=True, env=os.environ, timeout=60, **kwargs)
    if b"unshare failed" in done.stderr or done.stderr.startswith(b"mount:"):
        pytest.skip("this machine does not allow a private mount namespace")
    return done


def kind(path: Path) -> str:
    kinds = {"link": stat.S_ISLNK, "device": stat.S_ISCHR, "fifo": stat.S_ISFIFO}
    mode = path.lstat().st_mode
    return next((name for name, test in kinds.items() if test(mode)), "other")


class Reader:
    """A real reader at the other end of a FIFO: `cat`, or `head -c N` that stops early."""

    def __init__(self, fifo: Path, command: list[str] | None = None) -> None:
        self.process = subprocess.Popen(
            [*(command or ["cat"]), str(fifo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def read(self) -> bytes:
        try:
            out, _ = self.process.communicate(timeout=30)
        finally:
            if self.process.poll() is None:  # the writer never came
                self.process.kill()
                self.process.wait()
        return out


# -- export -o ---------------------------------------------------------------------------------


def test_export_to_a_full_device_says_so_and_leaves_the_device(story, tmp_path):
    full = device(tmp_path / "full", 1, 7)
    done = rapport_process("export", "-o", str(full))
    assert done.returncode == 1
    assert done.stderr.decode() == f"rapport: cannot write {full}: No space left on device\n"
    assert kind(full) == "device" and stat.S_IMODE(full.stat().st_mode) == 0o666
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "journal.db") == ["full"]


def test_export_into_a_device_writes_through_it(story, tmp_path):
    null = device(tmp_path / "null", 1, 3)
    done = rapport_process("export", "-o", str(null))
    assert done.returncode == 0, done.stderr
    assert kind(null) == "device" and stat.S_IMODE(null.stat().st_mode) == 0o666


@pytest.mark.parametrize("existing", [False, True])
def test_export_through_a_symlink_replaces_its_target(story, tmp_path, existing):
    target, link = tmp_path / "target.jsonl", tmp_path / "link"
    if existing:
        target.write_text("old\n")
        target.chmod(0o644)
    link.symlink_to(target.name)  # relative, as people make them
    done = rapport_process("export", "-o", str(link))
    assert done.returncode == 0, done.stderr
    assert kind(link) == "link" and os.readlink(link) == target.name
    assert target.read_bytes() == story
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_export_into_a_fifo_feeds_its_reader(story, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o644)
    reader = Reader(fifo)
    done = rapport_process("export", "-o", str(fifo))
    assert reader.read() == story
    assert done.returncode == 0, done.stderr
    assert kind(fifo) == "fifo" and stat.S_IMODE(fifo.stat().st_mode) == 0o644


def test_a_fifo_reader_that_stops_early_is_one_line(big, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = Reader(fifo, ["head", "-c", "10"])
    done = rapport_process("export", "-o", str(fifo))
    assert reader.read() == big[:10]
    assert done.returncode == 1
    assert done.stderr.decode() == f"rapport: cannot write {fifo}: Broken pipe\n"
    assert kind(fifo) == "fifo"


def test_export_into_a_process_substitution(story, tmp_path):
    out = tmp_path / "out.jsonl"
    # $! is the substituted process: wait for it, so that out is complete.
    done = shell(f"{RAPPORT} export -o >(cat > {out}); status=$?; wait $!; exit $status")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == story


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_export_to_standard_output_by_name(story, tmp_path, name):
    done = shell(with_read_only_dev(f"{RAPPORT} export -o {name}"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == story


def test_export_to_dev_stdout_keeps_the_shells_append(story, tmp_path):
    kept = tmp_path / "kept.jsonl"
    kept.write_bytes(b"first line\n")
    done = shell(with_read_only_dev(f"{RAPPORT} export -o /dev/stdout >> {kept}"))
    assert done.returncode == 0, done.stderr
    assert kept.read_bytes() == b"first line\n" + story


def test_export_to_the_real_dev_full(story):
    done = shell(with_read_only_dev(f"{RAPPORT} export -o /dev/full"))
    assert done.returncode == 1
    assert done.stderr.decode() == "rapport: cannot write /dev/full: No space left on device\n"


def test_a_full_disk_leaves_the_existing_file_as_it_was(big, tmp_path):
    """On a 64 KiB file system the export cannot fit: the old file stays, nothing is left."""
    folder = tmp_path / "small"
    folder.mkdir()
    kept = folder / "kept.jsonl"
    kept.write_text("the export of last week\n")
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    command = (
        f"mount -t tmpfs -o size=64k tmpfs {folder} && echo 'the export of last week' > {kept}"
        f" && {RAPPORT} export -o {kept}; status=$?; cat {kept}; ls -A {folder}; exit $status"
    )
    done = shell(["unshare", "-m", "bash", "-c", command])
    assert done.returncode == 1
    assert done.stderr.decode() == f"rapport: cannot write {kept}: No space left on device\n"
    assert done.stdout.decode() == "the export of last week\nkept.jsonl\n"


def test_a_new_file_in_a_missing_folder_is_refused(story, tmp_path):
    target = tmp_path / "nope" / "out.jsonl"
    done = rapport_process("export", "-o", str(target))
    assert done.returncode == 2
    assert done.stderr.decode() == (
        f"rapport: cannot write {target}: the folder {tmp_path / 'nope'} does not exist\n"
    )
    assert not (tmp_path / "nope").exists()


# -- --svg and --html -----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--svg", "--html"])
def test_a_failed_show_leaves_the_picture_file_alone(story, tmp_path, option):
    kept, new = tmp_path / "kept", tmp_path / "new"
    kept.write_text("last week's picture")
    kept.chmod(0o644)
    done = rapport_process("show", "nosuchclient", option, str(kept))
    assert done.returncode == 2
    assert kept.read_text() == "last week's picture"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o644
    assert rapport_process("show", "nosuchclient", option, str(new)).returncode == 2
    assert not new.exists()


@pytest.mark.parametrize("command", [["show", "weiss"], ["drift"], ["stats"]])
def test_a_picture_into_a_device_is_written_not_chmoded(story, tmp_path, command):
    null = device(tmp_path / "null", 1, 3)
    done = rapport_process(*command, "--svg", str(null), "--html", str(null))
    assert done.returncode == 0, done.stderr
    assert kind(null) == "device" and stat.S_IMODE(null.stat().st_mode) == 0o666


def test_a_picture_into_a_fifo_and_through_a_symlink(story, tmp_path):
    fifo, link, target = tmp_path / "fifo", tmp_path / "link.svg", tmp_path / "target.svg"
    os.mkfifo(fifo, 0o644)
    link.symlink_to(target)
    reader = Reader(fifo)
    done = rapport_process("stats", "--html", str(fifo), "--svg", str(link))
    page = reader.read()
    assert done.returncode == 0, done.stderr
    assert page.lstrip().startswith(b"<!DOCTYPE html>") and page.rstrip().endswith(b"</html>")
    assert kind(fifo) == "fifo" and stat.S_IMODE(fifo.stat().st_mode) == 0o644
    assert kind(link) == "link" and target.read_text().lstrip().startswith("<svg")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_picture_to_a_full_device_is_one_line(story, tmp_path):
    full = device(tmp_path / "full", 1, 7)
    done = rapport_process("stats", "--svg", str(full))
    assert done.returncode == 1
    assert done.stderr.decode() == f"rapport: cannot write {full}: No space left on device\n"
    assert kind(full) == "device"


# -- backup --------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_backup_refuses_what_is_not_a_new_file(story, journal, tmp_path):
    fifo, null, link = tmp_path / "fifo", device(tmp_path / "null", 1, 3), tmp_path / "link"
    os.mkfifo(fifo)
    link.symlink_to(tmp_path / "elsewhere.db")  # dangling: it would create a file elsewhere
    before = snapshot(journal)
    for target in (fifo, null, link):
        done = rapport_process("backup", str(target))
        assert done.returncode == 2
        assert done.stderr.decode() == (
            f"rapport: {target} exists; give a new file name or a folder\n"
        )
    assert (kind(fifo), kind(null), kind(link)) == ("fifo", "device", "link")
    assert not (tmp_path / "elsewhere.db").exists()
    assert snapshot(journal) == before

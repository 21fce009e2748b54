"""Random mutations of a valid archive: imported correctly or refused with MemoryInputError, nothing else."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory import MemoryInputError, MemoryStore
from memory.archive import import_archive, read_archive
from tests.hostile.archives import archive_members, write_zip

MEMBERS = archive_members()
ARCHIVE = io.BytesIO()
write_zip(ARCHIVE, MEMBERS)  # type: ignore[arg-type]  # zipfile writes to a file object as well
FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count()

edits = st.lists(
    st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate"]), st.integers(0, 10**6), st.binary(max_size=8)),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, changes: list[tuple[str, int, bytes]]) -> bytes:
    for kind, where, stuff in changes:
        at = where % (len(data) + 1)
        if kind == "flip" and data:
            at %= len(data)
            data = data[:at] + bytes([data[at] ^ (stuff[0] if stuff else 0xFF)]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + stuff + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(stuff) + 1 :]
        else:
            data = data[:at]
    return data


def import_or_refuse(path, url):
    """Reading and importing either works (and the memories are all there) or is a MemoryInputError."""
    try:
        archive = read_archive(path)
    except MemoryInputError:
        return
    store = MemoryStore(url, f"n{next(_names)}", archive.manifest.latent_dim, warn=lambda _: None)
    try:
        import_archive(store, archive)
        assert store.count() == len(archive.memories)
    except MemoryInputError:
        assert store.count() == 0
    finally:
        store.close()


@FUZZ
@given(changes=edits)
def test_mutated_zip_bytes(tmp_path, changes):
    path = tmp_path / "mutated.zip"
    path.write_bytes(mutate(ARCHIVE.getvalue(), changes))
    import_or_refuse(path, f"sqlite:///{tmp_path / 'fuzz.sqlite'}")


@FUZZ
@given(member=st.sampled_from(sorted(MEMBERS)), changes=edits, fix_checksum=st.booleans())
def test_mutated_members(tmp_path, member, changes, fix_checksum):
    members = dict(MEMBERS)
    members[member] = mutate(members[member], changes)
    if fix_checksum and member != "manifest.json":  # get past the checksum, to the records themselves
        manifest = json.loads(members["manifest.json"])
        manifest["sha256"][member] = hashlib.sha256(members[member]).hexdigest()
        members["manifest.json"] = json.dumps(manifest).encode()
    path = write_zip(tmp_path / "mutated.zip", members)
    import_or_refuse(path, f"sqlite:///{tmp_path / 'fuzz.sqlite'}")


def test_the_unmutated_archive_imports(tmp_path):
    path = tmp_path / "good.zip"
    path.write_bytes(ARCHIVE.getvalue())
    store = MemoryStore(f"sqlite:///{tmp_path / 'a.sqlite'}", "a", 3)
    assert import_archive(store, path) == {"episodes": 1, "memories": 2, "chat_turns": 1}
    assert np.allclose(store.get(2).latent, [3, 4, 5])
    assert zipfile.is_zipfile(path)

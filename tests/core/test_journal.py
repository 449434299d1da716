"""finetune.core.journal: the resume file of the eval's generation cache and of searchtune predict."""

from finetune.core import journal


def test_the_journal_skips_a_cut_line_and_only_its_writer_repairs_it(tmp_path):
    path = tmp_path / "j.jsonl"
    journal.append(path, [("a", "1"), ("b", "2")])
    with path.open("a") as f:
        f.write('{"key": "c", "out')
    assert journal.read(path, repair=False) == {"a": "1", "b": "2"}
    assert not path.read_text().endswith("\n")
    assert journal.read(path) == {"a": "1", "b": "2"}
    journal.append(path, [("c", "3")])
    assert journal.read(path) == {"a": "1", "b": "2", "c": "3"}

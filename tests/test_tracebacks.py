"""A kit error shown in Jupyter points at the learner's line, not at the kit's frames."""

from __future__ import annotations

import re

import pytest

from jslab import errors
from jslab._tracebacks import user_frames


def test_kit_frames_are_left_out_of_the_rendered_traceback(lab):
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()
    try:
        lab.publish("nowhere.at.all", b"x")
    except errors.JslabError as e:
        err = e
    frames = []
    tb = user_frames(err.__traceback__)
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert frames == [__file__]
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(err._render_traceback_()))
    assert 'lab.publish("nowhere.at.all", b"x")' in text
    assert "jslab/" not in text and "NoStreamForSubjectError" in text and "Hint:" in text
    full = []
    tb = err.__traceback__
    while tb is not None:
        full.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    assert any("jslab" in f for f in full)  # the whole story stays on the exception

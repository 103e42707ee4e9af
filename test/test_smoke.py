# SPDX-License-Identifier: LGPL-2.1-or-later
def test_start_and_list(oly):
    sid = oly.start_detached("sh", "-c", "echo hello; exit 3")
    s = oly.wait_status(sid, "failed")
    assert s["exit_code"] == 3
    assert b"hello" in oly.log(sid)

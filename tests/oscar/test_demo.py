"""``make demo-oscar`` tells its story: run it here, on the test database.

Transactional: as in the demo, the checkout signal's note is written on commit.
"""

from __future__ import annotations

from example_oscar.demo import story


def test_the_demo_story_ends_in_a_conversion(transactional_db, clock, settings, tmp_path, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    story(clock)
    out = capsys.readouterr().out
    assert "Enrolled 1, sent 1." in out
    assert "2 \u00d7 12.50 EUR" in out  # the email's text part
    assert "34.80 EUR" in out
    assert "-> 302 /basket/" in out
    assert "lists: Sencha Superior, Earl Grey" in out
    assert ": 31.32 EUR (10 % off)" in out
    assert "Enrollment: exited (ordered)." in out
    assert "Conversion: 31.32 EUR credited to flow 'abandoned-cart' by coupon." in out
    assert len(list(tmp_path.glob("*.log"))) == 1

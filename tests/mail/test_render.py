from __future__ import annotations

import re

import pytest

from remarket.mail.render import RenderError, _without_hidden, html_to_text, render_text


def test_the_text_alternative_reads_like_the_email():
    html = (
        "<p>Hi Ann,</p><p>Your cart is waiting:</p><ul><li>1 &times; Kettle: 49.00 EUR</li>"
        "<li>2 &times; Mug &amp; saucer</li></ul><p>See you<br>soon</p>"
    )

    assert html_to_text(html) == (
        "Hi Ann,\nYour cart is waiting:\n\n- 1 \u00d7 Kettle: 49.00 EUR\n- 2 \u00d7 Mug & saucer\n"
        "See you\nsoon"
    )


def test_render_email_escapes_html_but_not_the_subject():
    context = {"name": "<Ann & Bob>"}
    subject = render_text("Hello {{ name }}", context, autoescape=False)
    html = render_text("<p>{{ name }}</p>", context, autoescape=True)

    assert subject == "Hello <Ann & Bob>"
    assert html == "<p>&lt;Ann &amp; Bob&gt;</p>"
    assert html_to_text(html) == "<Ann & Bob>"


def test_the_body_cannot_reach_settings_or_load_libraries():
    with pytest.raises(RenderError, match="does not compile"):
        render_text("{% load static %}{% static 'x' %}", {}, autoescape=True)
    assert render_text("{{ settings.SECRET_KEY }}", {}, autoescape=True) == ""


@pytest.mark.parametrize(
    "template",
    ["{% url 'admin:index' %}", "{% debug %}", "{% include 'x.html' %}", "{% ssi '/etc/passwd' %}"],
)
def test_the_sandbox_has_no_tags_that_reach_beyond_the_context(template):
    with pytest.raises(RenderError, match="does not compile"):
        render_text(template, {}, autoescape=True)


def test_the_sandbox_keeps_the_everyday_tags_and_filters():
    html = render_text(
        "{% for n in names %}{{ n|upper }}{% if not forloop.last %}, {% endif %}{% endfor %}",
        {"names": ["a", "b"]},
        autoescape=True,
    )
    assert html == "A, B"


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>T</title></head><body><p>Hi</p></body></html>",
        '<HEAD><style>p{}</style></HEAD><span class="preheader">Soon</span><p>Hi</p>',
        "<header><p>Kept</p></header><p>Hi</p>",  # <header> is no <head>
        "<head_x>kept</head_x><head>gone</head><p>Hi</p>",
        '<span class="preheader">one</span><p>a</p><span class="preheader">two</span>',
        "<head><title>never closed<p>Hi</p>",
        '<span class="preheader">unclosed <p>Hi</p>',
        '<head><span class="preheader">in the head</span></head><p>Hi</p>',
        # "\u0130".lower() is two characters: positions must not shift.
        '<p>\u0130stanbul</p><SPAN class="preheader">x</SPAN><p>\u0130zmir</p>',
        "<p>\u0633\u0644\u0627\u0645 \u00b7 Xin ch\u00e0o</p><Head>x</hEAD><p>\u0130</p>",
        "<head\u00e9>kept: not the head tag</head><p>Hi</p>",
        '<head><p>never closed</p><span class="preheader">still hidden</span><p>Hi</p>',
    ],
)
def test_the_text_part_leaves_out_the_head_and_preheader_as_a_regex_would(html):
    # The reference: the regular expression html_to_text used before the string search.
    hidden = re.compile(r"<head\b.*?</head>|<span class=\"preheader\">.*?</span>", re.I | re.S)

    assert _without_hidden(html) == hidden.sub("", html)


def test_tag_names_match_in_ascii_case_only_as_html_reads_them():
    # re.I would read "\u017f" (long s) as "s": '<\u017fpan class="preheader">' is no span.
    html = '<\u017fpan class="preheader">kept</\u017fpan><SPAN class="preheader">x</span>'

    assert _without_hidden(html) == '<\u017fpan class="preheader">kept</\u017fpan>'

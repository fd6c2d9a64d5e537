#!/usr/bin/python3
"""rpmlint with its spelling check running, or an error that says why not.

    /usr/bin/python3 tools/rpmlint-spelling.py [rpmlint's arguments]

rpmlint checks the spelling of each package's Summary and %description
with enchant (pyenchant) and a dictionary of the language, as Fedora's
does; without either it warns once and checks nothing. rpmlint 2.4
(Debian 12's) also never checks a package's default language, "C": it
makes the en_US checker for it, then looks it up as "C" and finds none.

This runs the rpmlint that /usr/bin/python3 imports, after making sure
the check runs: it stops (exit 2) when enchant or the en_US dictionary is
missing, naming the packages to install, and checks "C" as en_US where
this rpmlint does not. rpm/nova-wsgi.rpmlintrc filters the file and
module names the descriptions hold, so an rpmlint that checks no spelling
fails there too (a filter that matches nothing is an error).
"""

import sys

LANG = "en_US"


def _spelling_runs():
    from rpmlint import spellcheck

    if not spellcheck.ENCHANT:
        return ("rpmlint cannot import enchant, so it checks no spelling: "
                "install python3-enchant (Debian, Fedora)")
    from enchant import Broker

    if not Broker().dict_exists(LANG):
        return (f"enchant has no {LANG} dictionary, so rpmlint checks no "
                "spelling: install hunspell-en-us (Debian) or hunspell-en-US "
                "(Fedora)")
    if not spellcheck.Spellcheck().spell_check("Teh tset", "{}", "C"):
        original = spellcheck.Spellcheck.spell_check

        def spell_check(self, text, fmt, lang=LANG, *args, **kwargs):
            if lang in ("C", "C.UTF-8"):
                lang = LANG
            return original(self, text, fmt, lang, *args, **kwargs)

        spellcheck.Spellcheck.spell_check = spell_check
    return None


def main():
    try:
        from rpmlint.cli import lint
    except ImportError:
        print("tools/rpmlint-spelling.py: /usr/bin/python3 cannot import "
              "rpmlint: install rpmlint (Debian, Fedora)", file=sys.stderr)
        return 2
    problem = _spelling_runs()
    if problem:
        print(f"tools/rpmlint-spelling.py: {problem}", file=sys.stderr)
        return 2
    sys.argv[0] = "rpmlint"
    return lint()


if __name__ == "__main__":
    sys.exit(main())

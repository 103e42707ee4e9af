#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Turns a text file into a C header holding it as one string constant: embed.py NAME INPUT OUTPUT
import sys

name, src, dst = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('/* generated from %s by embed.py */\n#pragma once\nstatic const char %s[] =\n' % (src.split('/')[-1], name))
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()  # the file's final newline ends the last line, it does not start another
    for line in lines:
        esc = ''.join(c if 32 <= ord(c) < 127 and c not in '"\\?' else '\\%03o' % ord(c) for c in line.decode('latin-1'))
        out.write('        "%s\\n"\n' % esc)
    out.write(';\n')

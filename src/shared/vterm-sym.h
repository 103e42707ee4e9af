/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvterm functions render.c and vt-util.c call, through pointers: oly-daemon and oly-http link
 * libvterm and get them filled at build time (vterm-linked.c); the CLI loads libvterm only when
 * 'oly logs' renders (vterm-dlopen.c). */
#pragma once

#include <vterm.h>

#include "dlopen-util.h"

extern DLSYM_PROTOTYPE(vterm_free);
extern DLSYM_PROTOTYPE(vterm_input_write);
extern DLSYM_PROTOTYPE(vterm_new);
extern DLSYM_PROTOTYPE(vterm_obtain_screen);
extern DLSYM_PROTOTYPE(vterm_obtain_state);
extern DLSYM_PROTOTYPE(vterm_screen_enable_altscreen);
extern DLSYM_PROTOTYPE(vterm_screen_get_cell);
extern DLSYM_PROTOTYPE(vterm_screen_reset);
extern DLSYM_PROTOTYPE(vterm_screen_set_callbacks);
extern DLSYM_PROTOTYPE(vterm_set_size);
extern DLSYM_PROTOTYPE(vterm_set_utf8);
extern DLSYM_PROTOTYPE(vterm_state_get_cursorpos);

/* Makes the pointers above usable: 0, or -EOPNOTSUPP with *ret_error saying what is missing. */
int dlopen_vterm(char **ret_error);

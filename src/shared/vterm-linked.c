/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvterm pointers of vterm-sym.h, for programs that link libvterm. */
#include "vterm-sym.h"

DLSYM_PROTOTYPE(vterm_free) = vterm_free;
DLSYM_PROTOTYPE(vterm_input_write) = vterm_input_write;
DLSYM_PROTOTYPE(vterm_new) = vterm_new;
DLSYM_PROTOTYPE(vterm_obtain_screen) = vterm_obtain_screen;
DLSYM_PROTOTYPE(vterm_obtain_state) = vterm_obtain_state;
DLSYM_PROTOTYPE(vterm_screen_enable_altscreen) = vterm_screen_enable_altscreen;
DLSYM_PROTOTYPE(vterm_screen_get_cell) = vterm_screen_get_cell;
DLSYM_PROTOTYPE(vterm_screen_reset) = vterm_screen_reset;
DLSYM_PROTOTYPE(vterm_screen_set_callbacks) = vterm_screen_set_callbacks;
DLSYM_PROTOTYPE(vterm_set_size) = vterm_set_size;
DLSYM_PROTOTYPE(vterm_set_utf8) = vterm_set_utf8;
DLSYM_PROTOTYPE(vterm_state_get_cursorpos) = vterm_state_get_cursorpos;

int dlopen_vterm(char **ret_error) {
        return 0;
}

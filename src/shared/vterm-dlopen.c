/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvterm pointers of vterm-sym.h, filled by dlopen() on first use (the CLI). */
#include "macro.h"
#include "vterm-sym.h"

DLSYM_PROTOTYPE(vterm_free) = NULL;
DLSYM_PROTOTYPE(vterm_input_write) = NULL;
DLSYM_PROTOTYPE(vterm_new) = NULL;
DLSYM_PROTOTYPE(vterm_obtain_screen) = NULL;
DLSYM_PROTOTYPE(vterm_obtain_state) = NULL;
DLSYM_PROTOTYPE(vterm_screen_enable_altscreen) = NULL;
DLSYM_PROTOTYPE(vterm_screen_get_cell) = NULL;
DLSYM_PROTOTYPE(vterm_screen_reset) = NULL;
DLSYM_PROTOTYPE(vterm_screen_set_callbacks) = NULL;
DLSYM_PROTOTYPE(vterm_set_size) = NULL;
DLSYM_PROTOTYPE(vterm_set_utf8) = NULL;
DLSYM_PROTOTYPE(vterm_state_get_cursorpos) = NULL;

int dlopen_vterm(char **ret_error) {
        static void *dl = NULL;
        static const DlSymbol table[] = {
                DLSYM_ARG(vterm_free),
                DLSYM_ARG(vterm_input_write),
                DLSYM_ARG(vterm_new),
                DLSYM_ARG(vterm_obtain_screen),
                DLSYM_ARG(vterm_obtain_state),
                DLSYM_ARG(vterm_screen_enable_altscreen),
                DLSYM_ARG(vterm_screen_get_cell),
                DLSYM_ARG(vterm_screen_reset),
                DLSYM_ARG(vterm_screen_set_callbacks),
                DLSYM_ARG(vterm_set_size),
                DLSYM_ARG(vterm_set_utf8),
                DLSYM_ARG(vterm_state_get_cursorpos),
        };

        return dlopen_many_sym(&dl, "libvterm.so.0", table, ELEMENTSOF(table), ret_error);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's side of oly-keeper (keeper-protocol.h): at start it learns which sessions the keeper holds
 * and how those that ended meanwhile ended; then, as a face of the manager, it hands over each new
 * session's PTY master, drops ended ones, and passes on the ends the keeper reaps. */
#pragma once

#include "manager.h"

/* When $OLY_KEEPER_FD names our keeper: reads what it holds into *ret_list (whose fds the caller owns;
 * see manager_adopt_sessions()) and registers the face. Without a keeper: 0 and an empty list. */
int keeper_link_new(Manager *m, ManagerAdoptable **ret_list, size_t *ret_n);
/* After adoption: tells the keeper what to forget (what was not adopted) and that we serve. */
void keeper_link_ready(Manager *m, const ManagerAdoptable *list, size_t n);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

/* When config.json has neither VAPID key, generates a pair, writes both into the file (atomically) and
 * into c. Failures are logged and leave web push off; they never stop the daemon. */
int vapid_ensure_keys(OlyConfig *c, const char *config_path);

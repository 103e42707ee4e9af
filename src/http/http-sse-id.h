/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Last-Event-ID a reconnecting event stream sends: a pure parser of untrusted bytes
 * (src/fuzz/fuzz-sse-id.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Whether s is "<boot>-<seq>" of this boot (boot: oly-http's boot id), seq a decimal of the events sent
 * so far (up to last_seq) whose successors are all still in the ring (HTTP_SSE_RING): then *ret is the seq
 * to resume after. */
bool http_sse_id_parse(const char *boot, uint64_t last_seq, const char *s, uint64_t *ret);

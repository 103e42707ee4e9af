/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz targets for every parser of untrusted input. Built for libFuzzer with -Dfuzzers=true (clang),
 * and always as plain programs that run their seed corpus under meson test. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

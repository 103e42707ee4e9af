/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config.json: the fields of spec §9, their defaults, and strict validation (never a silent fallback). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OLY_CONFIG_FILE "config.json"
#define OLY_CONFIG_SIZE_MAX (1U << 20)

#define OLY_DEFAULT_HTTP_PORT 15443
#define OLY_DEFAULT_MAX_RUNNING_SESSIONS 256
#define OLY_MAX_RUNNING_SESSIONS_LIMIT 65536
#define OLY_DEFAULT_SESSION_EVICTION_SEC 600
#define OLY_SESSION_EVICTION_SEC_MAX (365U * 86400U)
#define OLY_PROMPT_PATTERNS_MAX 256
#define OLY_STRING_FIELD_MAX 4096
#define OLY_DEFAULT_PROMPT_IDLE_MS 250
#define OLY_PROMPT_IDLE_MS_MIN 20
#define OLY_PROMPT_IDLE_MS_MAX 60000
#define OLY_DEFAULT_PROMPT_SILENCE_SEC 60
#define OLY_PROMPT_SILENCE_SEC_MAX 86400
#define OLY_DEFAULT_HOOK_TIMEOUT_SEC 10
#define OLY_HOOK_TIMEOUT_SEC_MAX 3600
#define OLY_HOOK_ARGS_MAX 64
#define OLY_DEFAULT_HTTP_TOKEN_LIFETIME_SEC (7U * 86400U)
#define OLY_HTTP_TOKEN_LIFETIME_SEC_MAX (365U * 86400U)

typedef struct OlyConfig {
        unsigned http_port;
        int log_level; /* syslog level: LOG_ERR … LOG_DEBUG */
        char **prompt_patterns; /* NULL: the built-in set */
        unsigned n_prompt_patterns;
        char **prompt_patterns_extra; /* added to prompt_patterns (or the built-in set) */
        unsigned n_prompt_patterns_extra;
        unsigned prompt_idle_ms;       /* output quiet this long before prompt patterns are tried */
        unsigned prompt_silence_sec;   /* quiet this long with the cursor after text: input needed; 0 off */
        char *web_push_subject;
        char *web_push_vapid_public_key;
        char *web_push_vapid_private_key;
        unsigned max_running_sessions;
        uint64_t session_eviction_sec;
        char **notification_hook; /* argv (split from a string by argv_split()); NULL: none */
        unsigned notification_hook_timeout_sec;
        unsigned http_token_lifetime_sec; /* how long a web login lasts */
        bool http_trust_forwarded_for;    /* X-Forwarded-For from a loopback peer names the client */
} OlyConfig;

void oly_config_init(OlyConfig *c);
void oly_config_done(OlyConfig *c);

/* Parses JSON text into c (which must be initialised). On a problem returns -EINVAL and, in *ret_error,
 * one line naming the field and what is wrong with it. */
int oly_config_parse(OlyConfig *c, const char *text, size_t len, char **ret_error);

/* Loads <path>; a missing file is not an error (defaults stay). Errors name the file. */
int oly_config_load(OlyConfig *c, const char *path, char **ret_error);

/* The JSON text a new config.json starts with (the documented defaults). */
char *oly_config_default_text(void);

const char *log_level_to_string(int level);
int log_level_from_string(const char *s);

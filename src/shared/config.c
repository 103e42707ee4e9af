/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "argv-split.h"
#include "config.h"
#include "macro.h"
#include "paths.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_tokener *, json_tokener_free);

static const char *const log_level_table[] = {
        [LOG_ERR] = "error", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

const char *log_level_to_string(int level) {
        if (level < 0 || (size_t) level >= ELEMENTSOF(log_level_table))
                return NULL;
        return log_level_table[level];
}

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(log_level_table); i++)
                if (log_level_table[i] && streq(log_level_table[i], s))
                        return (int) i;
        return -EINVAL;
}

void oly_config_init(OlyConfig *c) {
        *c = (OlyConfig) {
                .http_port = OLY_DEFAULT_HTTP_PORT,
                .log_level = LOG_INFO,
                .max_running_sessions = OLY_DEFAULT_MAX_RUNNING_SESSIONS,
                .session_eviction_sec = OLY_DEFAULT_SESSION_EVICTION_SEC,
                .prompt_idle_ms = OLY_DEFAULT_PROMPT_IDLE_MS,
                .prompt_silence_sec = OLY_DEFAULT_PROMPT_SILENCE_SEC,
                .notification_hook_timeout_sec = OLY_DEFAULT_HOOK_TIMEOUT_SEC,
                .http_token_lifetime_sec = OLY_DEFAULT_HTTP_TOKEN_LIFETIME_SEC,
        };
}

static void strv_free_n(char **v, unsigned n) {
        for (unsigned i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

void oly_config_done(OlyConfig *c) {
        strv_free_n(c->prompt_patterns, c->n_prompt_patterns);
        strv_free_n(c->prompt_patterns_extra, c->n_prompt_patterns_extra);
        free(c->web_push_subject);
        free(c->web_push_vapid_public_key);
        erase_and_free(c->web_push_vapid_private_key);
        argv_free(c->notification_hook);
        oly_config_init(c);
}

_printf_(2, 3) static int fail(char **ret_error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (ret_error && vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return -EINVAL;
}

static int get_uint(json_object *v, const char *field, uint64_t min, uint64_t max, uint64_t *ret, char **err) {
        if (!json_object_is_type(v, json_type_int))
                return fail(err, "field \"%s\" must be an integer between %llu and %llu, got %s", field,
                            (unsigned long long) min, (unsigned long long) max,
                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        errno = 0;
        int64_t i = json_object_get_int64(v);
        /* json-c clamps out-of-range numbers to INT64_MIN/MAX and sets errno */
        if (errno != 0 || i < 0 || (uint64_t) i < min || (uint64_t) i > max)
                return fail(err, "field \"%s\" must be between %llu and %llu, got %s", field,
                            (unsigned long long) min, (unsigned long long) max,
                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        *ret = (uint64_t) i;
        return 0;
}

/* A string field; JSON null means "unset". */
static int get_string(json_object *v, const char *field, char **ret, char **err) {
        if (!v) {
                free(*ret);
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return fail(err, "field \"%s\" must be a string or null, got %s", field,
                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        const char *s = json_object_get_string(v);
        size_t l = (size_t) json_object_get_string_len(v);
        if (l > OLY_STRING_FIELD_MAX)
                return fail(err, "field \"%s\" is longer than %u bytes", field, OLY_STRING_FIELD_MAX);
        if (strlen(s) != l)
                return fail(err, "field \"%s\" contains a NUL byte", field);
        return free_and_strdup(ret, s);
}

/* An array of strings (or null: unset). */
static int get_strv(json_object *v, const char *field, char ***ret, unsigned *ret_n, char **err) {
        if (!v) {
                strv_free_n(*ret, *ret_n);
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        if (!json_object_is_type(v, json_type_array))
                return fail(err, "field \"%s\" must be an array of strings or null", field);
        size_t n = json_object_array_length(v);
        if (n > OLY_PROMPT_PATTERNS_MAX)
                return fail(err, "field \"%s\" has more than %u entries", field, OLY_PROMPT_PATTERNS_MAX);
        char **pp = calloc(n + 1, sizeof(char *));
        if (!pp)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                if (!json_object_is_type(e, json_type_string) || json_object_get_string_len(e) > OLY_STRING_FIELD_MAX ||
                    strlen(json_object_get_string(e)) != (size_t) json_object_get_string_len(e)) {
                        strv_free_n(pp, (unsigned) n);
                        return fail(err, "field \"%s\" entry %zu must be a string of at most %u bytes without NUL",
                                    field, i, OLY_STRING_FIELD_MAX);
                }
                pp[i] = strdup(json_object_get_string(e));
                if (!pp[i]) {
                        strv_free_n(pp, (unsigned) n);
                        return -ENOMEM;
                }
        }
        strv_free_n(*ret, *ret_n);
        *ret = pp;
        *ret_n = (unsigned) n;
        return 0;
}

/* notification_hook: a command line (split like a shell would, without expansion) or an argv array. */
static int get_hook(json_object *v, char ***ret, char **err) {
        char **argv = NULL;
        int r;

        if (!v) {
                argv_free(*ret);
                *ret = NULL;
                return 0;
        }
        if (json_object_is_type(v, json_type_string)) {
                if (json_object_get_string_len(v) > OLY_STRING_FIELD_MAX)
                        return fail(err, "field \"notification_hook\" is longer than %u bytes", OLY_STRING_FIELD_MAX);
                if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                        return fail(err, "field \"notification_hook\" contains a NUL byte");
                r = argv_split(json_object_get_string(v), OLY_HOOK_ARGS_MAX, &argv);
                if (r == -E2BIG)
                        return fail(err, "field \"notification_hook\" has more than %u words", OLY_HOOK_ARGS_MAX);
                if (r < 0)
                        return fail(err, "field \"notification_hook\" has an unterminated quote or a trailing "
                                         "backslash");
        } else if (json_object_is_type(v, json_type_array)) {
                unsigned n;
                r = get_strv(v, "notification_hook", &argv, &n, err);
                if (r < 0)
                        return r;
                if (n > OLY_HOOK_ARGS_MAX) {
                        argv_free(argv);
                        return fail(err, "field \"notification_hook\" has more than %u words", OLY_HOOK_ARGS_MAX);
                }
        } else
                return fail(err, "field \"notification_hook\" must be a string, an array of strings or null");
        if (!argv || !argv[0] || !*argv[0]) {
                argv_free(argv);
                argv = NULL; /* "" means no hook */
        } else if (argv[0][0] != '/') {
                argv_free(argv);
                return fail(err, "field \"notification_hook\" must start with an absolute path to a program");
        }
        argv_free(*ret);
        *ret = argv;
        return 0;
}

int oly_config_parse(OlyConfig *c, const char *text, size_t len, char **ret_error) {
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        uint64_t u;
        int r;

        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        /* Strict JSON: no comments, single quotes or trailing commas that other tools would reject. */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        root = json_tokener_parse_ex(tok, text, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        if (!root || jerr != json_tokener_success)
                return fail(ret_error, "invalid JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
                            json_tokener_error_desc(jerr == json_tokener_continue ? json_tokener_error_parse_eof
                                                                                   : jerr));
        /* Trailing garbage after the object is an error, not something to ignore. */
        for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
                if (!strchr(" \t\r\n", text[i]))
                        return fail(ret_error, "invalid JSON: unexpected text after the top-level object at byte %zu",
                                    i);
        if (!json_object_is_type(root, json_type_object))
                return fail(ret_error, "the top level must be a JSON object");

        json_object_object_foreach(root, key, v) {
                /* null means "the default" for every field. */
                if (!v && (streq(key, "http_port") || streq(key, "log_level") || streq(key, "max_running_sessions") ||
                           streq(key, "session_eviction_seconds") || streq(key, "prompt_idle_ms") ||
                           streq(key, "prompt_silence_seconds") || streq(key, "notification_hook_timeout_seconds") ||
                           streq(key, "http_token_lifetime_seconds") || streq(key, "http_trust_forwarded_for"))) {
                        OlyConfig d;
                        oly_config_init(&d);
                        if (streq(key, "http_port"))
                                c->http_port = d.http_port;
                        else if (streq(key, "log_level"))
                                c->log_level = d.log_level;
                        else if (streq(key, "max_running_sessions"))
                                c->max_running_sessions = d.max_running_sessions;
                        else if (streq(key, "prompt_idle_ms"))
                                c->prompt_idle_ms = d.prompt_idle_ms;
                        else if (streq(key, "prompt_silence_seconds"))
                                c->prompt_silence_sec = d.prompt_silence_sec;
                        else if (streq(key, "notification_hook_timeout_seconds"))
                                c->notification_hook_timeout_sec = d.notification_hook_timeout_sec;
                        else if (streq(key, "http_token_lifetime_seconds"))
                                c->http_token_lifetime_sec = d.http_token_lifetime_sec;
                        else if (streq(key, "http_trust_forwarded_for"))
                                c->http_trust_forwarded_for = d.http_trust_forwarded_for;
                        else
                                c->session_eviction_sec = d.session_eviction_sec;
                        continue;
                }
                if (streq(key, "http_port")) {
                        r = get_uint(v, key, 1, 65535, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->http_port = (unsigned) u;
                } else if (streq(key, "log_level")) {
                        if (!json_object_is_type(v, json_type_string) ||
                            log_level_from_string(json_object_get_string(v)) < 0)
                                return fail(ret_error,
                                            "field \"log_level\" must be one of \"error\", \"warning\", \"notice\", "
                                            "\"info\", \"debug\", got %s",
                                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
                        c->log_level = log_level_from_string(json_object_get_string(v));
                } else if (streq(key, "max_running_sessions")) {
                        r = get_uint(v, key, 1, OLY_MAX_RUNNING_SESSIONS_LIMIT, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->max_running_sessions = (unsigned) u;
                } else if (streq(key, "session_eviction_seconds")) {
                        r = get_uint(v, key, 0, OLY_SESSION_EVICTION_SEC_MAX, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->session_eviction_sec = u;
                } else if (streq(key, "prompt_patterns")) {
                        r = get_strv(v, key, &c->prompt_patterns, &c->n_prompt_patterns, ret_error);
                        if (r < 0)
                                return r;
                } else if (streq(key, "prompt_patterns_extra")) {
                        r = get_strv(v, key, &c->prompt_patterns_extra, &c->n_prompt_patterns_extra, ret_error);
                        if (r < 0)
                                return r;
                } else if (streq(key, "prompt_idle_ms")) {
                        r = get_uint(v, key, OLY_PROMPT_IDLE_MS_MIN, OLY_PROMPT_IDLE_MS_MAX, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->prompt_idle_ms = (unsigned) u;
                } else if (streq(key, "prompt_silence_seconds")) {
                        r = get_uint(v, key, 0, OLY_PROMPT_SILENCE_SEC_MAX, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->prompt_silence_sec = (unsigned) u;
                } else if (streq(key, "notification_hook_timeout_seconds")) {
                        r = get_uint(v, key, 1, OLY_HOOK_TIMEOUT_SEC_MAX, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->notification_hook_timeout_sec = (unsigned) u;
                } else if (streq(key, "http_token_lifetime_seconds")) {
                        r = get_uint(v, key, 1, OLY_HTTP_TOKEN_LIFETIME_SEC_MAX, &u, ret_error);
                        if (r < 0)
                                return r;
                        c->http_token_lifetime_sec = (unsigned) u;
                } else if (streq(key, "http_trust_forwarded_for")) {
                        if (!json_object_is_type(v, json_type_boolean))
                                return fail(ret_error, "field \"http_trust_forwarded_for\" must be true or false, got %s",
                                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
                        c->http_trust_forwarded_for = json_object_get_boolean(v);
                } else if (streq(key, "web_push_subject")) {
                        r = get_string(v, key, &c->web_push_subject, ret_error);
                        if (r < 0)
                                return r;
                } else if (streq(key, "web_push_vapid_public_key")) {
                        r = get_string(v, key, &c->web_push_vapid_public_key, ret_error);
                        if (r < 0)
                                return r;
                } else if (streq(key, "web_push_vapid_private_key")) {
                        r = get_string(v, key, &c->web_push_vapid_private_key, ret_error);
                        if (r < 0)
                                return r;
                } else if (streq(key, "notification_hook")) {
                        r = get_hook(v, &c->notification_hook, ret_error);
                        if (r < 0)
                                return r;
                } else
                        /* A misspelt field silently ignored is a setting that silently does nothing. */
                        return fail(ret_error, "unknown field \"%s\"", key);
        }
        return 0;
}

int oly_config_load(OlyConfig *c, const char *path, char **ret_error) {
        _cleanup_free_ char *text = NULL, *err = NULL;
        size_t len;
        int r;

        r = read_file_full(path, OLY_CONFIG_SIZE_MAX, &text, &len);
        if (r == -ENOENT)
                return 0;
        if (r == -EFBIG)
                return fail(ret_error, "%s: larger than %u bytes", path, OLY_CONFIG_SIZE_MAX);
        if (r < 0) {
                (void) fail(ret_error, "%s: %s", path, strerror(-r));
                return r;
        }
        if (strlen(text) != len)
                return fail(ret_error, "%s: contains a NUL byte", path);

        r = oly_config_parse(c, text, len, &err);
        if (r < 0) {
                (void) fail(ret_error, "%s: %s", path, err ?: strerror(-r));
                return r;
        }
        return 0;
}

char *oly_config_default_text(void) {
        char *s;
        if (asprintf(&s,
                     "{\n"
                     "  \"http_port\": %u,\n"
                     "  \"log_level\": \"info\",\n"
                     "  \"max_running_sessions\": %u,\n"
                     "  \"session_eviction_seconds\": %u,\n"
                     "  \"prompt_patterns\": null,\n"
                     "  \"prompt_patterns_extra\": null,\n"
                     "  \"prompt_idle_ms\": %u,\n"
                     "  \"prompt_silence_seconds\": %u,\n"
                     "  \"notification_hook\": null,\n"
                     "  \"notification_hook_timeout_seconds\": %u,\n"
                     "  \"http_token_lifetime_seconds\": %u,\n"
                     "  \"http_trust_forwarded_for\": false,\n"
                     "  \"web_push_subject\": null,\n"
                     "  \"web_push_vapid_public_key\": null,\n"
                     "  \"web_push_vapid_private_key\": null\n"
                     "}\n",
                     OLY_DEFAULT_HTTP_PORT, OLY_DEFAULT_MAX_RUNNING_SESSIONS, OLY_DEFAULT_SESSION_EVICTION_SEC,
                     OLY_DEFAULT_PROMPT_IDLE_MS, OLY_DEFAULT_PROMPT_SILENCE_SEC, OLY_DEFAULT_HOOK_TIMEOUT_SEC,
                     OLY_DEFAULT_HTTP_TOKEN_LIFETIME_SEC) < 0)
                return NULL;
        return s;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests config.json handling: defaults, strict field validation, error messages, loading from files. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "macro.h"
#include "tests.h"

static char tmpdir[] = "/tmp/test-config-XXXXXX";

static int parse(OlyConfig *c, const char *text, char **error) {
        return oly_config_parse(c, text, strlen(text), error);
}

static void check_defaults(const OlyConfig *c, int line) {
        if (c->http_port != OLY_DEFAULT_HTTP_PORT || c->log_level != LOG_INFO ||
            c->max_running_sessions != OLY_DEFAULT_MAX_RUNNING_SESSIONS ||
            c->session_eviction_sec != OLY_DEFAULT_SESSION_EVICTION_SEC || c->prompt_patterns ||
            c->n_prompt_patterns != 0 || c->web_push_subject || c->web_push_vapid_public_key ||
            c->web_push_vapid_private_key || c->notification_hook) {
                fprintf(stderr, "%s:%d: configuration is not the defaults\n", __FILE__, line);
                tests_failed++;
        }
}
#define CHECK_DEFAULTS(c) check_defaults((c), __LINE__)

/* Parses text into a fresh config, expects -EINVAL and an error message containing each of the
 * NULL-terminated needles. */
static void check_rejected(const char *text, int line, ...) {
        _cleanup_free_ char *error = NULL;
        OlyConfig c;
        va_list ap;

        oly_config_init(&c);
        int r = parse(&c, text, &error);
        if (r != -EINVAL) {
                fprintf(stderr, "%s:%d: parsing '%s' returned %d, expected -EINVAL\n", __FILE__, line, text, r);
                tests_failed++;
        } else if (!error) {
                fprintf(stderr, "%s:%d: parsing '%s' gave no error message\n", __FILE__, line, text);
                tests_failed++;
        } else {
                va_start(ap, line);
                for (const char *n; (n = va_arg(ap, const char *));)
                        if (!strstr(error, n)) {
                                fprintf(stderr, "%s:%d: error for '%s' is \"%s\", which does not mention \"%s\"\n",
                                        __FILE__, line, text, error, n);
                                tests_failed++;
                        }
                va_end(ap);
                if (strchr(error, '\n')) {
                        fprintf(stderr, "%s:%d: error \"%s\" is more than one line\n", __FILE__, line, error);
                        tests_failed++;
                }
        }
        oly_config_done(&c);
}
#define CHECK_REJECTED(text, ...) check_rejected((text), __LINE__, __VA_ARGS__, (const char *) NULL)

static void test_init_done(void) {
        OlyConfig c;

        memset(&c, 0xff, sizeof c);
        oly_config_init(&c);
        CHECK_INT(c.http_port, 15443);
        CHECK_INT(c.log_level, LOG_INFO);
        CHECK_INT(c.max_running_sessions, 256);
        CHECK_INT(c.session_eviction_sec, 600);
        CHECK(c.prompt_patterns == NULL);
        CHECK_INT(c.n_prompt_patterns, 0);
        CHECK(c.web_push_subject == NULL);
        CHECK(c.web_push_vapid_public_key == NULL);
        CHECK(c.web_push_vapid_private_key == NULL);
        CHECK(c.notification_hook == NULL);
        CHECK_DEFAULTS(&c);

        /* done() frees everything and leaves the defaults behind. */
        CHECK_INT(parse(&c, "{\"http_port\": 1, \"prompt_patterns\": [\"x\"], \"notification_hook\": \"/h\","
                            "\"web_push_vapid_private_key\": \"k\"}", NULL),
                  0);
        CHECK_INT(c.http_port, 1);
        oly_config_done(&c);
        CHECK_DEFAULTS(&c);
        oly_config_done(&c);
        CHECK_DEFAULTS(&c);
}

static void test_full(void) {
        static const char text[] =
                "{\n"
                "  \"http_port\": 8443,\n"
                "  \"log_level\": \"debug\",\n"
                "  \"max_running_sessions\": 12,\n"
                "  \"session_eviction_seconds\": 3600,\n"
                "  \"prompt_patterns\": [\"^\\\\$ $\", \"Continue\\\\? \\\\[y/N\\\\]\"],\n"
                "  \"notification_hook\": \"/usr/local/bin/notify\",\n"
                "  \"web_push_subject\": \"mailto:admin@example.com\",\n"
                "  \"web_push_vapid_public_key\": \"BPubKey\",\n"
                "  \"web_push_vapid_private_key\": \"privKey\"\n"
                "}\n";
        _cleanup_free_ char *error = NULL;
        OlyConfig c;

        oly_config_init(&c);
        CHECK_INT(parse(&c, text, &error), 0);
        CHECK(error == NULL);
        CHECK_INT(c.http_port, 8443);
        CHECK_INT(c.log_level, LOG_DEBUG);
        CHECK_INT(c.max_running_sessions, 12);
        CHECK_INT(c.session_eviction_sec, 3600);
        CHECK_INT(c.n_prompt_patterns, 2);
        CHECK(c.prompt_patterns != NULL);
        if (c.prompt_patterns && c.n_prompt_patterns == 2) {
                CHECK_STREQ(c.prompt_patterns[0], "^\\$ $");
                CHECK_STREQ(c.prompt_patterns[1], "Continue\\? \\[y/N\\]");
        }
        CHECK(c.notification_hook && !c.notification_hook[1]);
        CHECK_STREQ(c.notification_hook ? c.notification_hook[0] : NULL, "/usr/local/bin/notify");
        CHECK_STREQ(c.web_push_subject, "mailto:admin@example.com");
        CHECK_STREQ(c.web_push_vapid_public_key, "BPubKey");
        CHECK_STREQ(c.web_push_vapid_private_key, "privKey");

        /* A second parse overrides only the fields it names. */
        CHECK_INT(parse(&c, "{\"http_port\": 9000, \"prompt_patterns\": [\"a\"], \"web_push_subject\": \"x\"}",
                        &error),
                  0);
        CHECK_INT(c.http_port, 9000);
        CHECK_INT(c.log_level, LOG_DEBUG);
        CHECK_INT(c.max_running_sessions, 12);
        CHECK_INT(c.n_prompt_patterns, 1);
        if (c.prompt_patterns && c.n_prompt_patterns == 1)
                CHECK_STREQ(c.prompt_patterns[0], "a");
        CHECK_STREQ(c.web_push_subject, "x");
        CHECK(c.notification_hook && !c.notification_hook[1]);
        CHECK_STREQ(c.notification_hook ? c.notification_hook[0] : NULL, "/usr/local/bin/notify");
        oly_config_done(&c);

        /* An empty object changes nothing; so does whitespace around it. */
        oly_config_init(&c);
        CHECK_INT(parse(&c, "{}", &error), 0);
        CHECK_DEFAULTS(&c);
        CHECK_INT(parse(&c, " \n\t{ }\r\n \t", &error), 0);
        CHECK_DEFAULTS(&c);
        oly_config_done(&c);
}

static void test_log_levels(void) {
        static const struct {
                const char *name;
                int level;
        } levels[] = {
                { "error", LOG_ERR }, { "warning", LOG_WARNING }, { "notice", LOG_NOTICE },
                { "info", LOG_INFO }, { "debug", LOG_DEBUG },
        };

        for (size_t i = 0; i < ELEMENTSOF(levels); i++) {
                _cleanup_free_ char *text = NULL;
                OlyConfig c;

                CHECK_STREQ(log_level_to_string(levels[i].level), levels[i].name);
                CHECK_INT(log_level_from_string(levels[i].name), levels[i].level);

                CHECK(asprintf(&text, "{\"log_level\": \"%s\"}", levels[i].name) > 0);
                oly_config_init(&c);
                c.log_level = -1;
                CHECK_INT(parse(&c, text, NULL), 0);
                CHECK_INT(c.log_level, levels[i].level);
                oly_config_done(&c);
        }

        CHECK(log_level_to_string(-1) == NULL);
        CHECK(log_level_to_string(LOG_EMERG) == NULL);
        CHECK(log_level_to_string(LOG_CRIT) == NULL);
        CHECK(log_level_to_string(LOG_DEBUG + 1) == NULL);
        CHECK_INT(log_level_from_string(""), -EINVAL);
        CHECK_INT(log_level_from_string("Info"), -EINVAL);
        CHECK_INT(log_level_from_string("err"), -EINVAL);
        CHECK_INT(log_level_from_string("warn"), -EINVAL);
}

/* null means "the default", for every field. */
static void test_null_is_default(void) {
        OlyConfig c;
        oly_config_init(&c);
        c.http_port = 1;
        c.log_level = LOG_DEBUG;
        c.max_running_sessions = 3;
        c.session_eviction_sec = 4;
        CHECK_INT(oly_config_parse(&c, "{\"http_port\": null, \"log_level\": null, \"max_running_sessions\": null, "
                                       "\"session_eviction_seconds\": null}", 102, NULL), 0);
        CHECK_INT(c.http_port, OLY_DEFAULT_HTTP_PORT);
        CHECK_INT(c.log_level, LOG_INFO);
        CHECK_INT(c.max_running_sessions, OLY_DEFAULT_MAX_RUNNING_SESSIONS);
        CHECK_INT(c.session_eviction_sec, OLY_DEFAULT_SESSION_EVICTION_SEC);
        oly_config_done(&c);
}

static void test_wrong_types(void) {
        CHECK_REJECTED("{\"http_port\": \"8443\"}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": 8443.5}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": 8443.0}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": true}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": [8443]}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": {}}", "\"http_port\"");

        CHECK_REJECTED("{\"log_level\": 6}", "\"log_level\"");
        CHECK_REJECTED("{\"log_level\": \"verbose\"}", "\"log_level\"", "verbose");
        CHECK_REJECTED("{\"log_level\": \"INFO\"}", "\"log_level\"");
        CHECK_REJECTED("{\"log_level\": \"\"}", "\"log_level\"");
        CHECK_REJECTED("{\"log_level\": [\"info\"]}", "\"log_level\"");

        CHECK_REJECTED("{\"max_running_sessions\": \"10\"}", "\"max_running_sessions\"");
        CHECK_REJECTED("{\"max_running_sessions\": 1.5}", "\"max_running_sessions\"");
        CHECK_REJECTED("{\"max_running_sessions\": false}", "\"max_running_sessions\"");

        CHECK_REJECTED("{\"session_eviction_seconds\": \"600\"}", "\"session_eviction_seconds\"");
        CHECK_REJECTED("{\"session_eviction_seconds\": 0.5}", "\"session_eviction_seconds\"");
        CHECK_REJECTED("{\"session_eviction_seconds\": {}}", "\"session_eviction_seconds\"");

        CHECK_REJECTED("{\"prompt_patterns\": \"\\\\$ \"}", "\"prompt_patterns\"");
        CHECK_REJECTED("{\"prompt_patterns\": {}}", "\"prompt_patterns\"");
        CHECK_REJECTED("{\"prompt_patterns\": 1}", "\"prompt_patterns\"");
        CHECK_REJECTED("{\"prompt_patterns\": [1]}", "\"prompt_patterns\"", "entry 0");
        CHECK_REJECTED("{\"prompt_patterns\": [\"a\", null]}", "\"prompt_patterns\"", "entry 1");
        CHECK_REJECTED("{\"prompt_patterns\": [\"a\", \"b\", [\"c\"]]}", "\"prompt_patterns\"", "entry 2");

        static const char *const string_fields[] = {
                "web_push_subject", "web_push_vapid_public_key", "web_push_vapid_private_key",
        };
        /* notification_hook: a string or an argv array; [] is "no hook", like "" and null. */
        static const char *const bad_hooks[] = { "1", "true", "{}", "[\"x\"]", "1.5", "[1]" };
        for (size_t j = 0; j < ELEMENTSOF(bad_hooks); j++) {
                _cleanup_free_ char *text = NULL;
                CHECK(asprintf(&text, "{\"notification_hook\": %s}", bad_hooks[j]) > 0);
                CHECK_REJECTED(text, "\"notification_hook\"");
        }
        for (size_t i = 0; i < ELEMENTSOF(string_fields); i++) {
                static const char *const bad[] = { "1", "true", "[]", "{}", "[\"x\"]", "1.5" };
                _cleanup_free_ char *quoted = NULL;

                CHECK(asprintf(&quoted, "\"%s\"", string_fields[i]) > 0);
                for (size_t j = 0; j < ELEMENTSOF(bad); j++) {
                        _cleanup_free_ char *text = NULL;
                        CHECK(asprintf(&text, "{\"%s\": %s}", string_fields[i], bad[j]) > 0);
                        CHECK_REJECTED(text, quoted);
                }
        }
}

static void test_ranges(void) {
        OlyConfig c;

        CHECK_REJECTED("{\"http_port\": 0}", "\"http_port\"", "0");
        CHECK_REJECTED("{\"http_port\": 65536}", "\"http_port\"", "65536");
        CHECK_REJECTED("{\"http_port\": 70000}", "\"http_port\"", "70000");
        CHECK_REJECTED("{\"http_port\": -1}", "\"http_port\"", "-1");
        CHECK_REJECTED("{\"http_port\": -4294967295}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": 4294975739}", "\"http_port\""); /* 2^32 + 8443 */
        CHECK_REJECTED("{\"http_port\": 18446744073709551615}", "\"http_port\"");
        CHECK_REJECTED("{\"http_port\": 99999999999999999999999}", "\"http_port\"");

        CHECK_REJECTED("{\"max_running_sessions\": 0}", "\"max_running_sessions\"");
        CHECK_REJECTED("{\"max_running_sessions\": 65537}", "\"max_running_sessions\"");
        CHECK_REJECTED("{\"max_running_sessions\": -5}", "\"max_running_sessions\"");

        CHECK_REJECTED("{\"session_eviction_seconds\": -1}", "\"session_eviction_seconds\"");
        CHECK_REJECTED("{\"session_eviction_seconds\": 31536001}", "\"session_eviction_seconds\"");
        CHECK_REJECTED("{\"session_eviction_seconds\": 9223372036854775807}", "\"session_eviction_seconds\"");
        CHECK_REJECTED("{\"session_eviction_seconds\": -9223372036854775808}", "\"session_eviction_seconds\"");

        /* The limits themselves are fine. */
        oly_config_init(&c);
        CHECK_INT(parse(&c, "{\"http_port\": 1, \"max_running_sessions\": 1, \"session_eviction_seconds\": 0}",
                        NULL),
                  0);
        CHECK_INT(c.http_port, 1);
        CHECK_INT(c.max_running_sessions, 1);
        CHECK_INT(c.session_eviction_sec, 0);
        CHECK_INT(parse(&c,
                        "{\"http_port\": 65535, \"max_running_sessions\": 65536, "
                        "\"session_eviction_seconds\": 31536000}",
                        NULL),
                  0);
        CHECK_INT(c.http_port, 65535);
        CHECK_INT(c.max_running_sessions, 65536);
        CHECK_INT(c.session_eviction_sec, 365 * 86400);
        oly_config_done(&c);
}

static void test_unknown_field(void) {
        CHECK_REJECTED("{\"http_prot\": 8443}", "unknown", "\"http_prot\"");
        CHECK_REJECTED("{\"log_level\": \"info\", \"loglevel\": \"info\"}", "\"loglevel\"");
        CHECK_REJECTED("{\"HTTP_PORT\": 8443}", "\"HTTP_PORT\"");
        CHECK_REJECTED("{\"\": 1}", "unknown");
        CHECK_REJECTED("{\"http_port \": 8443}", "\"http_port \"");
}

static void test_invalid_json(void) {
        CHECK_REJECTED("", "JSON");
        CHECK_REJECTED("   ", "JSON");
        CHECK_REJECTED("{", "JSON");
        CHECK_REJECTED("{\"http_port\": }", "JSON");
        CHECK_REJECTED("{http_port: 1}", "JSON");
        CHECK_REJECTED("not json", "JSON");
        CHECK_REJECTED("\"http_port\": 1", "JSON");

        /* Trailing garbage after the object. */
        CHECK_REJECTED("{} x", "JSON");
        CHECK_REJECTED("{}}", "JSON");
        CHECK_REJECTED("{} {}", "JSON");
        CHECK_REJECTED("{\"http_port\": 1}\n{\"http_port\": 2}\n", "JSON");
        CHECK_REJECTED("{}\n{", "JSON");
        CHECK_REJECTED("{},", "JSON");

        /* The top level must be an object. */
        CHECK_REJECTED("[]", "object");
        CHECK_REJECTED("[{\"http_port\": 1}]", "object");
        CHECK_REJECTED("\"x\"", "object");
        CHECK_REJECTED("\"x\" ", "object");
        CHECK_REJECTED("[] ", "object");
        /* (json-c reports a bare literal as truncated input; any message will do.) */
        CHECK_REJECTED("null", "");
        CHECK_REJECTED("true", "");

        /* Only len bytes are read; what follows does not count. */
        OlyConfig c;
        oly_config_init(&c);
        CHECK_INT(oly_config_parse(&c, "{\"http_port\": 1}garbage", 16, NULL), 0);
        CHECK_INT(c.http_port, 1);
        CHECK_INT(oly_config_parse(&c, "{\"http_port\": 2}garbage", 17, NULL), -EINVAL);
        /* A NULL error pointer is allowed. */
        CHECK_INT(oly_config_parse(&c, "{\"http_port\": 0}", 16, NULL), -EINVAL);
        oly_config_done(&c);
}

static void test_nulls(void) {
        _cleanup_free_ char *error = NULL;
        OlyConfig c;

        oly_config_init(&c);
        CHECK_INT(parse(&c,
                        "{\"prompt_patterns\": [\"a\", \"b\"], \"notification_hook\": \"/h\", "
                        "\"web_push_subject\": \"s\", \"web_push_vapid_public_key\": \"p\", "
                        "\"web_push_vapid_private_key\": \"k\"}",
                        &error),
                  0);
        CHECK_INT(c.n_prompt_patterns, 2);
        CHECK_STREQ(c.notification_hook ? c.notification_hook[0] : NULL, "/h");
        CHECK_STREQ(c.web_push_vapid_private_key, "k");

        /* null means "unset": it clears what was there. */
        CHECK_INT(parse(&c,
                        "{\"prompt_patterns\": null, \"notification_hook\": null, \"web_push_subject\": null, "
                        "\"web_push_vapid_public_key\": null, \"web_push_vapid_private_key\": null}",
                        &error),
                  0);
        CHECK(error == NULL);
        CHECK_DEFAULTS(&c);

        /* And on fresh defaults it is accepted too. */
        CHECK_INT(parse(&c, "{\"prompt_patterns\": null, \"notification_hook\": null}", &error), 0);
        CHECK_DEFAULTS(&c);

        /* An empty list is not null: it means no patterns at all, not the built-in set. */
        CHECK_INT(parse(&c, "{\"prompt_patterns\": []}", &error), 0);
        CHECK(c.prompt_patterns != NULL);
        CHECK_INT(c.n_prompt_patterns, 0);

        /* Empty strings are strings. */
        CHECK_INT(parse(&c, "{\"notification_hook\": \"\"}", &error), 0);
        CHECK(c.notification_hook == NULL); /* "" means no hook */
        oly_config_done(&c);
}

static void test_string_limits(void) {
        _cleanup_free_ char *text = NULL, *big = NULL;
        OlyConfig c;

        big = malloc(OLY_STRING_FIELD_MAX + 2);
        CHECK(big);
        if (!big)
                return;

        /* Exactly the limit is fine. */
        memset(big, 'x', OLY_STRING_FIELD_MAX);
        big[OLY_STRING_FIELD_MAX] = 0;
        CHECK(asprintf(&text, "{\"web_push_subject\": \"%s\", \"prompt_patterns\": [\"%s\"]}", big, big) > 0);
        oly_config_init(&c);
        CHECK_INT(parse(&c, text, NULL), 0);
        CHECK_INT(strlen(strempty(c.web_push_subject)), OLY_STRING_FIELD_MAX);
        CHECK_INT(c.n_prompt_patterns, 1);
        oly_config_done(&c);
        free(text);
        text = NULL;

        /* One byte more is not. */
        big[OLY_STRING_FIELD_MAX] = 'x';
        big[OLY_STRING_FIELD_MAX + 1] = 0;
        CHECK(asprintf(&text, "{\"notification_hook\": \"%s\"}", big) > 0);
        CHECK_REJECTED(text, "\"notification_hook\"", "4096");
        free(text);
        text = NULL;
        CHECK(asprintf(&text, "{\"prompt_patterns\": [\"a\", \"%s\"]}", big) > 0);
        CHECK_REJECTED(text, "\"prompt_patterns\"", "entry 1");

        /* A NUL byte cannot be carried in a C string: reject rather than silently truncate. */
        CHECK_REJECTED("{\"web_push_subject\": \"mailto:a\\u0000b\"}", "\"web_push_subject\"", "NUL");
        CHECK_REJECTED("{\"notification_hook\": \"/bin/true\\u0000rm\"}", "\"notification_hook\"");
        CHECK_REJECTED("{\"prompt_patterns\": [\"\\\\$ \\u0000x\"]}", "\"prompt_patterns\"");
}

static void test_pattern_count(void) {
        _cleanup_free_ char *text = NULL;
        size_t n = OLY_PROMPT_PATTERNS_MAX;
        OlyConfig c;

        /* ["p","p",...] with n entries, then with n + 1. */
        text = malloc(64 + 4 * (n + 1));
        CHECK(text);
        if (!text)
                return;
        char *p = stpcpy(text, "{\"prompt_patterns\": [");
        for (size_t i = 0; i < n; i++)
                p = stpcpy(p, i == 0 ? "\"p\"" : ",\"p\"");
        strcpy(p, "]}");

        oly_config_init(&c);
        CHECK_INT(parse(&c, text, NULL), 0);
        CHECK_INT(c.n_prompt_patterns, OLY_PROMPT_PATTERNS_MAX);
        oly_config_done(&c);

        strcpy(p, ",\"p\"]}");
        CHECK_REJECTED(text, "\"prompt_patterns\"", "256");
}

static void test_default_text(void) {
        _cleanup_free_ char *text = oly_config_default_text(), *error = NULL;
        OlyConfig c;

        CHECK(text != NULL);
        if (!text)
                return;

        oly_config_init(&c);
        CHECK_INT(parse(&c, text, &error), 0);
        CHECK(error == NULL);
        CHECK_DEFAULTS(&c);

        /* It names every field, so it resets a changed configuration back to the defaults. */
        CHECK_INT(parse(&c,
                        "{\"http_port\": 1, \"log_level\": \"error\", \"max_running_sessions\": 2, "
                        "\"session_eviction_seconds\": 3, \"prompt_patterns\": [\"x\"], \"notification_hook\": \"/h\", "
                        "\"web_push_subject\": \"s\", \"web_push_vapid_public_key\": \"p\", "
                        "\"web_push_vapid_private_key\": \"k\"}",
                        &error),
                  0);
        CHECK_INT(c.http_port, 1);
        CHECK_INT(parse(&c, text, &error), 0);
        CHECK_DEFAULTS(&c);
        oly_config_done(&c);
}

static int write_file(const char *path, const char *data, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, data, len);
        close(fd);
        return n == (ssize_t) len ? 0 : -EIO;
}

static void test_load(void) {
        _cleanup_free_ char *missing = NULL, *good = NULL, *bad = NULL, *nul = NULL, *huge = NULL, *garbage = NULL;
        char *error = NULL;
        OlyConfig c;

        CHECK(asprintf(&missing, "%s/missing.json", tmpdir) > 0);
        CHECK(asprintf(&good, "%s/good.json", tmpdir) > 0);
        CHECK(asprintf(&bad, "%s/bad.json", tmpdir) > 0);
        CHECK(asprintf(&nul, "%s/nul.json", tmpdir) > 0);
        CHECK(asprintf(&huge, "%s/huge.json", tmpdir) > 0);
        CHECK(asprintf(&garbage, "%s/garbage.json", tmpdir) > 0);

        /* A missing file: not an error, the defaults stay. */
        oly_config_init(&c);
        CHECK_INT(oly_config_load(&c, missing, &error), 0);
        CHECK(error == NULL);
        CHECK_DEFAULTS(&c);

        /* A good file. */
        static const char good_text[] = "{\"http_port\": 8080, \"log_level\": \"warning\", \"notification_hook\": \"/n x\"}\n";
        CHECK_INT(write_file(good, good_text, strlen(good_text)), 0);
        CHECK_INT(oly_config_load(&c, good, &error), 0);
        CHECK(error == NULL);
        CHECK_INT(c.http_port, 8080);
        CHECK_INT(c.log_level, LOG_WARNING);
        CHECK_STREQ(c.notification_hook ? c.notification_hook[0] : NULL, "/n");
        CHECK_STREQ(c.notification_hook ? c.notification_hook[1] : NULL, "x");
        oly_config_done(&c);

        /* A bad field: the error names the file and the field. */
        static const char bad_text[] = "{\"http_port\": 70000}\n";
        CHECK_INT(write_file(bad, bad_text, strlen(bad_text)), 0);
        oly_config_init(&c);
        CHECK_INT(oly_config_load(&c, bad, &error), -EINVAL);
        CHECK(error != NULL);
        if (error) {
                CHECK(strstr(error, bad) == error);
                CHECK(strstr(error, "\"http_port\"") != NULL);
                CHECK(strstr(error, "70000") != NULL);
        }
        free(error);
        error = NULL;

        /* Broken JSON. */
        static const char garbage_text[] = "{\"http_port\": 8080} trailing\n";
        CHECK_INT(write_file(garbage, garbage_text, strlen(garbage_text)), 0);
        CHECK_INT(oly_config_load(&c, garbage, &error), -EINVAL);
        CHECK(error != NULL);
        if (error) {
                CHECK(strstr(error, garbage) == error);
                CHECK(strstr(error, "JSON") != NULL);
        }
        free(error);
        error = NULL;

        /* A NUL byte in the file. */
        static const char nul_text[] = "{\"http_port\": 8080}\0\n";
        CHECK_INT(write_file(nul, nul_text, sizeof nul_text - 1), 0);
        CHECK_INT(oly_config_load(&c, nul, &error), -EINVAL);
        CHECK(error != NULL);
        if (error) {
                CHECK(strstr(error, nul) == error);
                CHECK(strstr(error, "NUL") != NULL);
        }
        free(error);
        error = NULL;

        /* Larger than OLY_CONFIG_SIZE_MAX: whitespace around a valid object, still refused. */
        size_t hlen = OLY_CONFIG_SIZE_MAX + 1;
        char *h = malloc(hlen);
        CHECK(h);
        if (h) {
                memset(h, ' ', hlen);
                memcpy(h, "{}", 2);
                CHECK_INT(write_file(huge, h, hlen), 0);
                CHECK(oly_config_load(&c, huge, &error) < 0);
                CHECK(error != NULL);
                if (error) {
                        CHECK(strstr(error, huge) == error);
                        CHECK(strstr(error, "1048576") != NULL); /* says what the limit is */
                }
                free(error);
                error = NULL;

                /* Exactly the limit is fine. */
                CHECK_INT(write_file(huge, h, hlen - 1), 0);
                CHECK_INT(oly_config_load(&c, huge, &error), 0);
                CHECK(error == NULL);
                free(h);
        }

        /* A directory is not a config file; not a silent "missing" either. */
        CHECK(oly_config_load(&c, tmpdir, &error) < 0);
        CHECK(error != NULL);
        if (error)
                CHECK(strstr(error, tmpdir) == error);
        free(error);
        error = NULL;

        CHECK_DEFAULTS(&c);
        oly_config_done(&c);

        (void) unlink(good);
        (void) unlink(bad);
        (void) unlink(garbage);
        (void) unlink(nul);
        (void) unlink(huge);
}

static void test_hook_and_prompt_fields(void) {
        OlyConfig c;
        char *error = NULL;

        oly_config_init(&c);
        CHECK_INT(c.prompt_idle_ms, OLY_DEFAULT_PROMPT_IDLE_MS);
        CHECK_INT(c.prompt_silence_sec, OLY_DEFAULT_PROMPT_SILENCE_SEC);
        CHECK_INT(c.notification_hook_timeout_sec, OLY_DEFAULT_HOOK_TIMEOUT_SEC);
        CHECK_INT(parse(&c, "{\"notification_hook\": \"/bin/hook '{title} waits' {id}\", \"prompt_idle_ms\": 100, "
                            "\"prompt_silence_seconds\": 0, \"notification_hook_timeout_seconds\": 3, "
                            "\"prompt_patterns_extra\": [\"(?i)deploy\\\\?\"]}", &error), 0);
        CHECK_STREQ(c.notification_hook[0], "/bin/hook");
        CHECK_STREQ(c.notification_hook[1], "{title} waits");
        CHECK_STREQ(c.notification_hook[2], "{id}");
        CHECK(c.notification_hook[3] == NULL);
        CHECK_INT(c.prompt_idle_ms, 100);
        CHECK_INT(c.prompt_silence_sec, 0);
        CHECK_INT(c.notification_hook_timeout_sec, 3);
        CHECK_INT(c.n_prompt_patterns_extra, 1);
        CHECK_INT(parse(&c, "{\"notification_hook\": [\"/bin/a\", \"b c\"]}", &error), 0);
        CHECK_STREQ(c.notification_hook[1], "b c");
        CHECK_REJECTED("{\"notification_hook\": \"relative/hook\"}", "\"notification_hook\"", "absolute");
        CHECK_REJECTED("{\"notification_hook\": \"/bin/a 'open\"}", "\"notification_hook\"", "quote");
        CHECK_REJECTED("{\"notification_hook\": 3}", "\"notification_hook\"");
        CHECK_REJECTED("{\"prompt_idle_ms\": 5}", "\"prompt_idle_ms\"");
        CHECK_REJECTED("{\"prompt_silence_seconds\": -1}", "\"prompt_silence_seconds\"");
        CHECK_REJECTED("{\"prompt_patterns_extra\": \"x\"}", "\"prompt_patterns_extra\"");
        oly_config_done(&c);
        free(error);
}

int main(void) {
        test_init_done();
        test_full();
        test_log_levels();
        test_wrong_types();
        test_null_is_default();
        test_ranges();
        test_unknown_field();
        test_invalid_json();
        test_nulls();
        test_string_limits();
        test_pattern_count();
        test_default_text();

        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        test_load();
        if (rmdir(tmpdir) < 0) {
                fprintf(stderr, "rmdir %s: %m\n", tmpdir);
                tests_failed++;
        }
        test_hook_and_prompt_fields();
        TESTS_END();
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* JSON straight into a buffer (see http-json.h). */
#include <inttypes.h>
#include <stdbool.h>

#include "http-def.h"
#include "http-json.h"
#include "macro.h"

int http_json_put_string(Buf *b, const char *s) {
        static const char hex[] = "0123456789abcdef";
        size_t n = strlen(s);
        uint8_t *p;
        int r;

        /* Worst case: every byte a \u00XX escape. */
        r = buf_reserve(b, n * 6 + 2);
        if (r < 0)
                return r;
        p = b->data + b->len;
        *p++ = '"';
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                switch (*c) {
                case '"':  *p++ = '\\'; *p++ = '"'; break;
                case '\\': *p++ = '\\'; *p++ = '\\'; break;
                case '\b': *p++ = '\\'; *p++ = 'b'; break;
                case '\f': *p++ = '\\'; *p++ = 'f'; break;
                case '\n': *p++ = '\\'; *p++ = 'n'; break;
                case '\r': *p++ = '\\'; *p++ = 'r'; break;
                case '\t': *p++ = '\\'; *p++ = 't'; break;
                default:
                        if (*c < 0x20) {
                                memcpy(p, "\\u00", 4);
                                p[4] = hex[*c >> 4];
                                p[5] = hex[*c & 15];
                                p += 6;
                        } else
                                *p++ = *c;
                }
        }
        *p++ = '"';
        b->len = (size_t) (p - b->data);
        return 0;
}

static char *put_digits(char *p, unsigned v, unsigned width) {
        for (unsigned i = width; i > 0; i--) {
                p[i - 1] = (char) ('0' + v % 10);
                v /= 10;
        }
        return p + width;
}

int http_json_put_time(Buf *b, usec_t t) {
        char buf[RFC3339_MAX + 2], *p = buf;
        uint64_t sec = t / USEC_PER_SEC, days = sec / 86400, rem = sec % 86400;
        int64_t z, era, doe, yoe, y, doy, mp, d, m;

        if (t == 0)
                return buf_put(b, "null", 4);
        /* Days since the epoch to the civil date (H. Hinnant's days_from_civil, inverted); snprintf and
         * gmtime_r were most of the cost of a session list. */
        z = (int64_t) days + 719468;
        era = z / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        d = doy - (153 * mp + 2) / 5 + 1;
        m = mp < 10 ? mp + 3 : mp - 9;
        y += m <= 2;
        if (y > 9999) { /* not four digits: the slow path's width rules */
                if (!rfc3339_format(buf + 1, sizeof buf - 2, t))
                        return buf_put(b, "null", 4);
                buf[0] = '"';
                p = buf + 1 + strlen(buf + 1);
                *p++ = '"';
                return buf_put(b, buf, (size_t) (p - buf));
        }
        *p++ = '"';
        p = put_digits(p, (unsigned) y, 4);
        *p++ = '-';
        p = put_digits(p, (unsigned) m, 2);
        *p++ = '-';
        p = put_digits(p, (unsigned) d, 2);
        *p++ = 'T';
        p = put_digits(p, (unsigned) (rem / 3600), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned) (rem / 60 % 60), 2);
        *p++ = ':';
        p = put_digits(p, (unsigned) (rem % 60), 2);
        *p++ = '.';
        p = put_digits(p, (unsigned) (t % USEC_PER_SEC), 6);
        *p++ = 'Z';
        *p++ = '"';
        return buf_put(b, buf, (size_t) (p - buf));
}

static int put_key(Buf *b, const char *key_and_colon) {
        return buf_puts(b, key_and_colon);
}

int http_json_put_session(Buf *b, sd_bus_message *m, const char **ret_id, uint64_t *ret_created) {
        const char *id, *title, *command, *cwd, *status;
        uint32_t pid;
        int32_t exit_code;
        uint64_t created, started, ended;
        int input_needed, notifications;
        char num[32];
        bool first = true;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sssasssuitttbb");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(m, "sss", &id, &title, &command);
        if (r < 0)
                return r;
        r = put_key(b, "{\"id\":");
        if (r >= 0)
                r = http_json_put_string(b, id);
        if (r >= 0)
                r = put_key(b, ",\"title\":");
        if (r >= 0)
                r = isempty(title) ? buf_put(b, "null", 4) : http_json_put_string(b, title);
        if (r >= 0)
                r = put_key(b, ",\"command\":");
        if (r >= 0)
                r = http_json_put_string(b, command);
        if (r >= 0)
                r = put_key(b, ",\"args\":[");
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        for (;;) {
                const char *a;
                r = sd_bus_message_read_basic(m, 's', &a);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (!first) {
                        r = buf_put(b, ",", 1);
                        if (r < 0)
                                return r;
                }
                first = false;
                r = http_json_put_string(b, a);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "ssuitttbb", &cwd, &status, &pid, &exit_code, &created, &started, &ended,
                                &input_needed, &notifications);
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        r = put_key(b, "],\"cwd\":");
        if (r >= 0)
                r = http_json_put_string(b, cwd);
        if (r >= 0)
                r = put_key(b, ",\"status\":");
        if (r >= 0)
                r = http_json_put_string(b, status);
        if (r >= 0)
                r = put_key(b, ",\"pid\":");
        if (r >= 0) {
                if (pid > 0) {
                        snprintf(num, sizeof num, "%" PRIu32, pid);
                        r = buf_puts(b, num);
                } else
                        r = buf_put(b, "null", 4);
        }
        if (r >= 0)
                r = put_key(b, ",\"exit_code\":");
        if (r >= 0) {
                if (exit_code >= 0) {
                        snprintf(num, sizeof num, "%" PRIi32, exit_code);
                        r = buf_puts(b, num);
                } else
                        r = buf_put(b, "null", 4);
        }
        if (r >= 0)
                r = put_key(b, ",\"created_at\":");
        if (r >= 0)
                r = http_json_put_time(b, created);
        if (r >= 0)
                r = put_key(b, ",\"started_at\":");
        if (r >= 0)
                r = http_json_put_time(b, started);
        if (r >= 0)
                r = put_key(b, ",\"ended_at\":");
        if (r >= 0)
                r = http_json_put_time(b, ended);
        if (r >= 0)
                r = buf_puts(b, input_needed ? ",\"input_needed\":true" : ",\"input_needed\":false");
        if (r >= 0)
                r = buf_puts(b, notifications ? ",\"notifications_enabled\":true}" : ",\"notifications_enabled\":false}");
        if (r < 0)
                return r;
        if (ret_id)
                *ret_id = id;
        if (ret_created)
                *ret_created = created;
        return 1;
}

json_object *http_json_time(usec_t t) {
        char buf[RFC3339_MAX];
        if (t == 0 || !rfc3339_format(buf, sizeof buf, t))
                return NULL;
        return json_object_new_string(buf);
}

int http_json_parse_object(const void *buf, size_t len, json_object **ret) {
        json_tokener *tok;
        json_object *o;
        enum json_tokener_error err;
        size_t used;

        if (len == 0 || len > HTTP_BODY_MAX)
                return -EINVAL;
        tok = json_tokener_new_ex(HTTP_JSON_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        o = json_tokener_parse_ex(tok, buf, (int) len);
        err = json_tokener_get_error(tok);
        used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!o || err != json_tokener_success) {
                json_object_put(o);
                return -EINVAL;
        }
        /* Only whitespace may follow the value. */
        for (const char *p = (const char *) buf + used; p < (const char *) buf + len; p++)
                if (!strchr(" \t\r\n", *p) || !*p) {
                        json_object_put(o);
                        return -EINVAL;
                }
        if (!json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return -EINVAL;
        }
        *ret = o;
        return 0;
}

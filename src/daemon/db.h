/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's SQLite database: versioned schema, session rows and the queries the verbs need. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "id.h"
#include "macro.h"
#include "status.h"
#include "time-util.h"

typedef struct Database Database;

/* One session row, as stored. Strings are owned. */
typedef struct SessionRecord {
        char id[OLY_ID_STRLEN];
        char *title;   /* NULL: none */
        char **argv;   /* NULL-terminated; argv[0] is the command */
        char *cwd;
        SessionStatus status;
        uint32_t pid;      /* 0: none */
        int32_t exit_code; /* -1: none */
        usec_t created_at, started_at, ended_at; /* 0: not yet */
        bool notifications_enabled;
        unsigned rows, cols;
} SessionRecord;

void session_record_done(SessionRecord *r);

typedef struct SessionFilter {
        const char *search;   /* NULL: all; else id or title contains it, ASCII case-insensitively */
        unsigned status_mask; /* bit per SessionStatus; 0: all */
        usec_t since, until;  /* created_at bounds, inclusive; 0 / USEC_INFINITY: open */
        unsigned limit;
} SessionFilter;

int db_open(const char *path, Database **ret);
Database *db_close(Database *db);
DEFINE_TRIVIAL_CLEANUP_FUNC(Database *, db_close);

int db_session_insert(Database *db, const SessionRecord *r);
/* Writes the mutable columns: status, pid, exit code, times, notification flag, size. */
int db_session_update(Database *db, const SessionRecord *r);
int db_session_get(Database *db, const char *id, SessionRecord *ret);

/* Resolves a (case-insensitive) unique prefix. "" means the most recently created session.
 * -ENXIO: none; -ENOTUNIQ: ambiguous, with up to max_candidates ids in ret_candidates (a
 * NULL-terminated array, caller frees). */
int db_session_resolve(Database *db, const char *prefix, unsigned max_candidates, char ret_id[static OLY_ID_STRLEN],
                       char ***ret_candidates);

/* Calls cb for each matching row, newest first. A negative return from cb stops and is returned. */
typedef int (*db_session_cb)(const SessionRecord *r, void *userdata);
int db_session_list(Database *db, const SessionFilter *f, db_session_cb cb, void *userdata);

/* Marks rows left in an active status by a daemon that is gone: they become SESSION_UNKNOWN with
 * ended_at = now. Returns how many. */
int db_session_mark_lost(Database *db, usec_t now);

int db_count_active(Database *db);

/* The web surface (oly-http is stateless: its password hash, logins, lockouts and push subscriptions
 * live here). db_web_get_password: 1 and the PHC string, or 0 and NULL when none is set. Setting a
 * password revokes every token. */
int db_web_get_password(Database *db, char **ret);
int db_web_set_password(Database *db, const char *hash, usec_t now);
int db_web_token_add(Database *db, const char *digest, usec_t now, usec_t expires_at, unsigned max_tokens);
int db_web_token_check(Database *db, const char *digest, usec_t now, usec_t *ret_expires_at); /* -ENOENT */
int db_web_token_revoke(Database *db, const char *digest);
/* The web_logins row that counts the failed logins of all clients together: not a client address, and
 * never trimmed to make room for one. */
#define DB_WEB_LOGIN_ALL "*"
int db_web_login_get(Database *db, const char *client, unsigned *ret_failures, usec_t *ret_first_failure,
                     usec_t *ret_locked_until);
int db_web_login_put(Database *db, const char *client, unsigned failures, usec_t first_failure, usec_t locked_until,
                     unsigned max_rows, usec_t now);
int db_web_login_reset(Database *db, const char *client);

typedef int (*db_push_cb)(const char *endpoint, const char *p256dh, const char *auth, usec_t created_at,
                          void *userdata);
int db_push_add(Database *db, const char *endpoint, const char *p256dh, const char *auth, usec_t now,
                unsigned max_rows); /* -ENOSPC when full */
int db_push_remove(Database *db, const char *endpoint); /* -ENOENT */
int db_push_list(Database *db, db_push_cb cb, void *userdata);

/* Federation API keys: name, key id, keyed digest (never the key), creation and last use (0: never).
 * The pepper is this database's HMAC key for the digests: -ENOENT until db_api_key_init_pepper() stored
 * one (the first stored stays). db_api_key_add: -EEXIST for a name in use, -ENOSPC when max_rows keys
 * exist. db_api_key_lookup, db_api_key_remove: -ENOENT when there is no such key. */
#define DB_API_KEY_PEPPER_SIZE 32
#define DB_API_KEY_DIGEST_SIZE 32
typedef int (*db_api_key_cb)(const char *name, usec_t created_at, usec_t last_used_at, void *userdata);
int db_api_key_get_pepper(Database *db, uint8_t ret[static DB_API_KEY_PEPPER_SIZE]);
int db_api_key_init_pepper(Database *db, const uint8_t pepper[static DB_API_KEY_PEPPER_SIZE]);
int db_api_key_add(Database *db, const char *name, const char *key_id,
                   const uint8_t digest[static DB_API_KEY_DIGEST_SIZE], usec_t now, unsigned max_rows);
int db_api_key_lookup(Database *db, const char *key_id, char **ret_name,
                      uint8_t ret_digest[static DB_API_KEY_DIGEST_SIZE]);
int db_api_key_touch(Database *db, const char *name, usec_t now);
int db_api_key_remove(Database *db, const char *name);
int db_api_key_list(Database *db, db_api_key_cb cb, void *userdata);

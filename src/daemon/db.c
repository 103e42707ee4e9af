/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "macro.h"

struct Database {
        sqlite3 *db;
        sqlite3_stmt *insert, *update, *get, *resolve, *latest, *list;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);
DEFINE_TRIVIAL_CLEANUP_FUNC(json_object *, json_object_put);

/* The one place SQLite's error space becomes -errno. */
static int sqlite_to_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_ROW:
        case SQLITE_DONE:
                return 0;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                return -EACCES;
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        case SQLITE_CONSTRAINT:
                return -EEXIST;
        case SQLITE_TOOBIG:
                return -E2BIG;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        default:
                return -EIO;
        }
}

/* Each migration moves the schema from version i to i+1; PRAGMA user_version records where we are. */
static const char *const migrations[] = {
        /* 0 → 1 */
        "CREATE TABLE sessions ("
        "  id TEXT PRIMARY KEY NOT NULL,"
        "  title TEXT,"
        "  command TEXT NOT NULL,"
        "  args TEXT NOT NULL DEFAULT '[]'," /* JSON array of the arguments after the command */
        "  cwd TEXT NOT NULL,"
        "  status TEXT NOT NULL,"
        "  pid INTEGER,"
        "  exit_code INTEGER,"
        "  created_at INTEGER NOT NULL," /* µs since the epoch */
        "  started_at INTEGER,"
        "  ended_at INTEGER,"
        "  notifications INTEGER NOT NULL DEFAULT 1,"
        "  rows INTEGER NOT NULL DEFAULT 24,"
        "  cols INTEGER NOT NULL DEFAULT 80"
        ") WITHOUT ROWID;"
        "CREATE INDEX sessions_created ON sessions (created_at);"
        "CREATE INDEX sessions_status ON sessions (status);",
        /* 1 → 2: the web surface's state (oly-http keeps none of its own). Tokens are stored only as
         * SHA-256 digests; the password only as an Argon2id PHC string. */
        "CREATE TABLE web_password ("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  hash TEXT NOT NULL,"
        "  updated_at INTEGER NOT NULL"
        ");"
        "CREATE TABLE web_tokens ("
        "  digest TEXT PRIMARY KEY NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL"
        ") WITHOUT ROWID;"
        "CREATE INDEX web_tokens_expires ON web_tokens (expires_at);"
        "CREATE TABLE web_logins ("
        "  client TEXT PRIMARY KEY NOT NULL,"
        "  failures INTEGER NOT NULL,"
        "  first_failure_at INTEGER NOT NULL,"
        "  locked_until INTEGER NOT NULL DEFAULT 0"
        ") WITHOUT ROWID;"
        "CREATE TABLE push_subscriptions ("
        "  endpoint TEXT PRIMARY KEY NOT NULL,"
        "  p256dh TEXT NOT NULL,"
        "  auth TEXT NOT NULL,"
        "  created_at INTEGER NOT NULL"
        ") WITHOUT ROWID;",
        /* 2 → 3: federation API keys. Only a keyed digest of each key is stored (HMAC-SHA256 under
         * the pepper, a random secret of this database written on first use; src/daemon/api-keys.c). */
        "CREATE TABLE api_keys ("
        "  name TEXT PRIMARY KEY NOT NULL,"
        "  key_id TEXT NOT NULL UNIQUE,"
        "  digest BLOB NOT NULL,"
        "  created_at INTEGER NOT NULL,"
        "  last_used_at INTEGER NOT NULL DEFAULT 0"
        ") WITHOUT ROWID;"
        "CREATE TABLE api_key_pepper ("
        "  id INTEGER PRIMARY KEY CHECK (id = 1),"
        "  pepper BLOB NOT NULL"
        ");",
};

static int db_exec(Database *db, const char *sql) {
        return sqlite_to_errno(sqlite3_exec(db->db, sql, NULL, NULL, NULL));
}

static int db_migrate(Database *db) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, version;

        r = sqlite_to_errno(sqlite3_prepare_v2(db->db, "PRAGMA user_version", -1, &st, NULL));
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        version = sqlite3_column_int(st, 0);
        if (version > (int) ELEMENTSOF(migrations))
                return -EPROTONOSUPPORT; /* written by a newer oly */

        for (int v = version; v < (int) ELEMENTSOF(migrations); v++) {
                char pragma[64];
                r = db_exec(db, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
                r = db_exec(db, migrations[v]);
                if (r >= 0)
                        r = db_exec(db, pragma);
                if (r < 0) {
                        (void) db_exec(db, "ROLLBACK");
                        return r;
                }
                r = db_exec(db, "COMMIT");
                if (r < 0)
                        return r;
        }
        return 0;
}

#define SESSION_COLUMNS \
        "id, title, command, args, cwd, status, pid, exit_code, created_at, started_at, ended_at, notifications, rows, cols"

static int prepare(Database *db, const char *sql, sqlite3_stmt **ret) {
        return sqlite_to_errno(sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, ret, NULL));
}

int db_open(const char *path, Database **ret) {
        _cleanup_(db_closep) Database *db = NULL;
        int r;

        db = calloc(1, sizeof *db);
        if (!db)
                return -ENOMEM;
        r = sqlite_to_errno(sqlite3_open_v2(path, &db->db,
                                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL));
        if (r < 0)
                return r;
        (void) sqlite3_extended_result_codes(db->db, 1);
        /* Another process (a backup, sqlite3 in a shell) may hold the lock briefly; wait a little. */
        (void) sqlite3_busy_timeout(db->db, 1000);

        /* WAL: readers never block the writer; synchronous=NORMAL: a commit is durable against a
         * process crash, and against a power cut up to the last checkpoint. */
        /* A 16 MiB page cache: 100,000 sessions (~17 MB) searched by ls mostly stay in memory. */
        r = db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                        "PRAGMA cache_size = -16384;");
        if (r < 0)
                return r;
        r = db_migrate(db);
        if (r < 0)
                return r;

        if ((r = prepare(db, "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                             "?10, ?11, ?12, ?13, ?14)", &db->insert)) < 0 ||
            (r = prepare(db, "UPDATE sessions SET status = ?2, pid = ?3, exit_code = ?4, started_at = ?5, "
                             "ended_at = ?6, notifications = ?7, rows = ?8, cols = ?9 WHERE id = ?1", &db->update)) < 0 ||
            (r = prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?1", &db->get)) < 0 ||
            (r = prepare(db, "SELECT id FROM sessions WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3",
                         &db->resolve)) < 0 ||
            (r = prepare(db, "SELECT id FROM sessions ORDER BY created_at DESC, id DESC LIMIT 1", &db->latest)) < 0 ||
            (r = prepare(db, "SELECT " SESSION_COLUMNS " FROM sessions WHERE "
                             "(?1 IS NULL OR instr(lower(id), ?1) > 0 OR instr(lower(coalesce(title, '')), ?1) > 0) "
                             "AND (?2 IS NULL OR instr(?2, ',' || status || ',') > 0) "
                             "AND created_at >= ?3 AND created_at <= ?4 "
                             "ORDER BY created_at DESC, id DESC LIMIT ?5", &db->list)) < 0)
                return r;

        *ret = TAKE_PTR(db);
        return 0;
}

Database *db_close(Database *db) {
        if (!db)
                return NULL;
        sqlite3_finalize(db->insert);
        sqlite3_finalize(db->update);
        sqlite3_finalize(db->get);
        sqlite3_finalize(db->resolve);
        sqlite3_finalize(db->latest);
        sqlite3_finalize(db->list);
        sqlite3_close_v2(db->db);
        free(db);
        return NULL;
}

void session_record_done(SessionRecord *r) {
        free(r->title);
        if (r->argv)
                for (char **a = r->argv; *a; a++)
                        free(*a);
        free(r->argv);
        free(r->cwd);
        r->title = r->cwd = NULL;
        r->argv = NULL;
}

static char *args_to_json(char *const *argv) {
        _cleanup_(json_object_putp) json_object *a = json_object_new_array();
        if (!a)
                return NULL;
        for (size_t i = 1; argv[0] && argv[i]; i++)
                if (json_object_array_add(a, json_object_new_string(argv[i])) < 0)
                        return NULL;
        return strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
}

static int args_from_json(const char *command, const char *json, char ***ret) {
        _cleanup_(json_object_putp) json_object *a = json_tokener_parse(json ?: "[]");
        size_t n;
        char **v;

        if (!a || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        v = calloc(n + 2, sizeof(char *));
        if (!v)
                return -ENOMEM;
        v[0] = strdup(command);
        for (size_t i = 0; i < n && v[0]; i++) {
                v[i + 1] = strdup(json_object_get_string(json_object_array_get_idx(a, i)) ?: "");
                if (!v[i + 1])
                        break;
        }
        for (size_t i = 0; i < n + 1; i++)
                if (!v[i]) {
                        for (size_t j = 0; j < n + 1; j++)
                                free(v[j]);
                        free(v);
                        return -ENOMEM;
                }
        *ret = v;
        return 0;
}

static void bind_time(sqlite3_stmt *st, int i, usec_t t) {
        if (t == 0)
                sqlite3_bind_null(st, i);
        else
                sqlite3_bind_int64(st, i, (sqlite3_int64) t);
}

static int step_done(sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return rc == SQLITE_DONE ? 0 : sqlite_to_errno(rc) ?: -EIO;
}

int db_session_insert(Database *db, const SessionRecord *r) {
        _cleanup_free_ char *args = args_to_json(r->argv);
        sqlite3_stmt *st = db->insert;

        if (!args)
                return -ENOMEM;
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        if (r->title)
                sqlite3_bind_text(st, 2, r->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->argv[0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, args, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->cwd, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, session_status_to_string(r->status), -1, SQLITE_STATIC);
        if (r->pid > 0)
                sqlite3_bind_int64(st, 7, r->pid);
        if (r->exit_code >= 0)
                sqlite3_bind_int(st, 8, r->exit_code);
        sqlite3_bind_int64(st, 9, (sqlite3_int64) r->created_at);
        bind_time(st, 10, r->started_at);
        bind_time(st, 11, r->ended_at);
        sqlite3_bind_int(st, 12, r->notifications_enabled);
        sqlite3_bind_int(st, 13, (int) r->rows);
        sqlite3_bind_int(st, 14, (int) r->cols);
        return step_done(st);
}

int db_session_update(Database *db, const SessionRecord *r) {
        sqlite3_stmt *st = db->update;

        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, session_status_to_string(r->status), -1, SQLITE_STATIC);
        if (r->pid > 0)
                sqlite3_bind_int64(st, 3, r->pid);
        if (r->exit_code >= 0)
                sqlite3_bind_int(st, 4, r->exit_code);
        bind_time(st, 5, r->started_at);
        bind_time(st, 6, r->ended_at);
        sqlite3_bind_int(st, 7, r->notifications_enabled);
        sqlite3_bind_int(st, 8, (int) r->rows);
        sqlite3_bind_int(st, 9, (int) r->cols);
        int q = step_done(st);
        if (q < 0)
                return q;
        return sqlite3_changes(db->db) > 0 ? 0 : -ENOENT;
}

static int record_from_row(sqlite3_stmt *st, SessionRecord *ret) {
        SessionRecord r = {};
        const char *s;
        int q;

        s = (const char *) sqlite3_column_text(st, 0);
        if (!s || strlen(s) >= OLY_ID_STRLEN)
                return -EBADMSG;
        strcpy(r.id, s);
        if ((s = (const char *) sqlite3_column_text(st, 1)) && !(r.title = strdup(s)))
                return -ENOMEM;
        q = args_from_json((const char *) sqlite3_column_text(st, 2) ?: "",
                           (const char *) sqlite3_column_text(st, 3), &r.argv);
        if (q < 0) {
                session_record_done(&r);
                return q;
        }
        r.cwd = strdup((const char *) sqlite3_column_text(st, 4) ?: "/");
        r.status = session_status_from_string((const char *) sqlite3_column_text(st, 5));
        if (r.status < 0)
                r.status = SESSION_UNKNOWN;
        r.pid = (uint32_t) sqlite3_column_int64(st, 6);
        r.exit_code = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
        r.created_at = (usec_t) sqlite3_column_int64(st, 8);
        r.started_at = (usec_t) sqlite3_column_int64(st, 9);
        r.ended_at = (usec_t) sqlite3_column_int64(st, 10);
        r.notifications_enabled = sqlite3_column_int(st, 11);
        r.rows = (unsigned) sqlite3_column_int(st, 12);
        r.cols = (unsigned) sqlite3_column_int(st, 13);
        if (!r.cwd) {
                session_record_done(&r);
                return -ENOMEM;
        }
        *ret = r;
        return 0;
}

int db_session_get(Database *db, const char *id, SessionRecord *ret) {
        sqlite3_stmt *st = db->get;
        int rc, r;

        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                r = record_from_row(st, ret);
        else if (rc == SQLITE_DONE)
                r = -ENXIO;
        else
                r = sqlite_to_errno(rc) ?: -EIO;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return r;
}

int db_session_resolve(Database *db, const char *prefix, unsigned max_candidates, char ret_id[static OLY_ID_STRLEN],
                       char ***ret_candidates) {
        char lo[OLY_ID_STRLEN], hi[OLY_ID_STRLEN];
        sqlite3_stmt *st;
        size_t l = strlen(prefix);
        char **cands = NULL;
        unsigned n = 0;
        int rc, r = 0;

        if (l == 0) {
                st = db->latest;
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW)
                        snprintf(ret_id, OLY_ID_STRLEN, "%s", (const char *) sqlite3_column_text(st, 0));
                r = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENXIO : (sqlite_to_errno(rc) ?: -EIO);
                sqlite3_reset(st);
                return r;
        }
        if (l >= OLY_ID_STRLEN)
                return -ENXIO;
        for (size_t i = 0; i <= l; i++)
                lo[i] = hi[i] = (char) tolower((unsigned char) prefix[i]);
        hi[l - 1]++; /* ids are ASCII: [prefix, prefix+1) is every id that starts with prefix */

        st = db->resolve;
        sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, (int) max_candidates + 1);
        cands = calloc(max_candidates + 2, sizeof(char *));
        if (!cands) {
                sqlite3_reset(st);
                return -ENOMEM;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == max_candidates + 1)
                        break;
                cands[n] = strdup((const char *) sqlite3_column_text(st, 0));
                if (!cands[n]) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r == 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = sqlite_to_errno(rc) ?: -EIO;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);

        if (r == 0) {
                if (n == 0)
                        r = -ENXIO;
                else if (n == 1)
                        snprintf(ret_id, OLY_ID_STRLEN, "%s", cands[0]);
                else
                        r = -ENOTUNIQ;
        }
        if (r == -ENOTUNIQ && ret_candidates) {
                if (n > max_candidates) {
                        free(cands[n - 1]);
                        cands[n - 1] = NULL;
                }
                *ret_candidates = cands;
                return r;
        }
        for (unsigned i = 0; i < n; i++)
                free(cands[i]);
        free(cands);
        return r;
}

int db_session_list(Database *db, const SessionFilter *f, db_session_cb cb, void *userdata) {
        sqlite3_stmt *st = db->list;
        _cleanup_free_ char *search = NULL;
        char statuses[128] = "";
        int rc, r = 0;

        if (!isempty(f->search)) {
                search = strdup(f->search);
                if (!search)
                        return -ENOMEM;
                for (char *p = search; *p; p++)
                        *p = (char) tolower((unsigned char) *p);
                sqlite3_bind_text(st, 1, search, -1, SQLITE_STATIC);
        }
        if (f->status_mask != 0) {
                strcpy(statuses, ",");
                for (int s = 0; s < _SESSION_STATUS_MAX; s++)
                        if (f->status_mask & (1U << s)) {
                                strcat(statuses, session_status_to_string(s));
                                strcat(statuses, ",");
                        }
                sqlite3_bind_text(st, 2, statuses, -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(st, 3, (sqlite3_int64) f->since);
        sqlite3_bind_int64(st, 4, f->until > INT64_MAX ? INT64_MAX : (sqlite3_int64) f->until);
        sqlite3_bind_int64(st, 5, f->limit);

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                SessionRecord rec;
                r = record_from_row(st, &rec);
                if (r < 0)
                        break;
                r = cb(&rec, userdata);
                session_record_done(&rec);
                if (r < 0)
                        break;
        }
        if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = sqlite_to_errno(rc) ?: -EIO;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return r < 0 ? r : 0;
}

int db_session_mark_lost(Database *db, usec_t now) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = prepare(db, "UPDATE sessions SET status = 'unknown', ended_at = ?1 "
                        "WHERE status IN ('created', 'running', 'stopping')", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) now);
        r = step_done(st);
        if (r < 0)
                return r;
        return sqlite3_changes(db->db);
}

int db_count_active(Database *db) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare(db, "SELECT count(*) FROM sessions WHERE status IN ('created', 'running', 'stopping')", &st);
        if (r < 0)
                return r;
        if (sqlite3_step(st) != SQLITE_ROW)
                return -EIO;
        return sqlite3_column_int(st, 0);
}

/* The web surface's state. Each call prepares its statement: these run a few times per login, not per
 * request (oly-http caches what it validated). */

static int prepare_once(Database *db, const char *sql, sqlite3_stmt **ret) {
        return sqlite_to_errno(sqlite3_prepare_v2(db->db, sql, -1, ret, NULL));
}

/* Runs a statement whose only parameter, ?1, is a text key. Returns the number of rows it changed. */
static int exec_by_key(Database *db, const char *sql, const char *key) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r = prepare_once(db, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        r = step_done(st);
        return r < 0 ? r : sqlite3_changes(db->db);
}

int db_web_get_password(Database *db, char **ret) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT hash FROM web_password WHERE id = 1", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                *ret = NULL;
                return 0;
        }
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        char *h = strdup((const char *) sqlite3_column_text(st, 0) ?: "");
        if (!h)
                return -ENOMEM;
        *ret = h;
        return 1;
}

int db_web_set_password(Database *db, const char *hash, usec_t now) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        /* A new password ends every login made with the old one. */
        r = db_exec(db, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = prepare_once(db, "INSERT OR REPLACE INTO web_password (id, hash, updated_at) VALUES (1, ?1, ?2)", &st);
        if (r >= 0) {
                sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
                sqlite3_bind_int64(st, 2, (sqlite3_int64) now);
                r = step_done(st);
        }
        if (r >= 0)
                r = db_exec(db, "DELETE FROM web_tokens");
        if (r < 0) {
                (void) db_exec(db, "ROLLBACK");
                return r;
        }
        return db_exec(db, "COMMIT");
}

int db_web_token_add(Database *db, const char *digest, usec_t now, usec_t expires_at, unsigned max_tokens) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL, *trim = NULL, *ins = NULL;
        int r;

        r = prepare_once(db, "DELETE FROM web_tokens WHERE expires_at <= ?1", &del);
        if (r < 0)
                return r;
        sqlite3_bind_int64(del, 1, (sqlite3_int64) now);
        r = step_done(del);
        if (r < 0)
                return r;
        /* Bounded: the oldest logins make room for a new one. */
        r = prepare_once(db, "DELETE FROM web_tokens WHERE digest IN (SELECT digest FROM web_tokens "
                             "ORDER BY created_at DESC LIMIT -1 OFFSET ?1)", &trim);
        if (r < 0)
                return r;
        sqlite3_bind_int64(trim, 1, max_tokens > 0 ? max_tokens - 1 : 0);
        r = step_done(trim);
        if (r < 0)
                return r;
        r = prepare_once(db, "INSERT OR REPLACE INTO web_tokens (digest, created_at, expires_at) VALUES (?1, ?2, ?3)",
                         &ins);
        if (r < 0)
                return r;
        sqlite3_bind_text(ins, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64) now);
        sqlite3_bind_int64(ins, 3, (sqlite3_int64) expires_at);
        return step_done(ins);
}

int db_web_token_check(Database *db, const char *digest, usec_t now, usec_t *ret_expires_at) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT expires_at FROM web_tokens WHERE digest = ?1 AND expires_at > ?2", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) now);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        *ret_expires_at = (usec_t) sqlite3_column_int64(st, 0);
        return 0;
}

int db_web_token_revoke(Database *db, const char *digest) {
        int r = exec_by_key(db, "DELETE FROM web_tokens WHERE digest = ?1", digest);
        return r < 0 ? r : 0;
}

int db_web_login_get(Database *db, const char *client, unsigned *ret_failures, usec_t *ret_first_failure,
                     usec_t *ret_locked_until) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT failures, first_failure_at, locked_until FROM web_logins WHERE client = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, client, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
                *ret_failures = 0;
                *ret_first_failure = *ret_locked_until = 0;
                return 0;
        }
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        *ret_failures = (unsigned) sqlite3_column_int(st, 0);
        *ret_first_failure = (usec_t) sqlite3_column_int64(st, 1);
        *ret_locked_until = (usec_t) sqlite3_column_int64(st, 2);
        return 1;
}

int db_web_login_put(Database *db, const char *client, unsigned failures, usec_t first_failure, usec_t locked_until,
                     unsigned max_rows, usec_t now) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *trim = NULL, *st = NULL;
        int r;

        /* Bounded: forget clients whose lock and counting window are over, then the oldest. */
        r = prepare_once(db, "DELETE FROM web_logins WHERE client IN (SELECT client FROM web_logins "
                             "WHERE client != ?1 AND client != '" DB_WEB_LOGIN_ALL "' ORDER BY (locked_until > ?2) DESC, first_failure_at DESC "
                             "LIMIT -1 OFFSET ?3)", &trim);
        if (r < 0)
                return r;
        sqlite3_bind_text(trim, 1, client, -1, SQLITE_STATIC);
        sqlite3_bind_int64(trim, 2, (sqlite3_int64) now);
        sqlite3_bind_int64(trim, 3, max_rows > 0 ? max_rows - 1 : 0);
        r = step_done(trim);
        if (r < 0)
                return r;
        r = prepare_once(db, "INSERT OR REPLACE INTO web_logins (client, failures, first_failure_at, locked_until) "
                             "VALUES (?1, ?2, ?3, ?4)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, client, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int) failures);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) first_failure);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) locked_until);
        return step_done(st);
}

int db_web_login_reset(Database *db, const char *client) {
        int r = exec_by_key(db, "DELETE FROM web_logins WHERE client = ?1", client);
        return r < 0 ? r : 0;
}

int db_push_add(Database *db, const char *endpoint, const char *p256dh, const char *auth, usec_t now,
                unsigned max_rows) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *cnt = NULL, *st = NULL;
        int r;

        r = prepare_once(db, "SELECT count(*) FROM push_subscriptions WHERE endpoint != ?1", &cnt);
        if (r < 0)
                return r;
        sqlite3_bind_text(cnt, 1, endpoint, -1, SQLITE_STATIC);
        if (sqlite3_step(cnt) != SQLITE_ROW)
                return -EIO;
        if ((unsigned) sqlite3_column_int(cnt, 0) >= max_rows)
                return -ENOSPC;
        r = prepare_once(db, "INSERT OR REPLACE INTO push_subscriptions (endpoint, p256dh, auth, created_at) "
                             "VALUES (?1, ?2, ?3, ?4)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, endpoint, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, p256dh, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, auth, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) now);
        return step_done(st);
}

int db_push_remove(Database *db, const char *endpoint) {
        int r = exec_by_key(db, "DELETE FROM push_subscriptions WHERE endpoint = ?1", endpoint);
        return r < 0 ? r : r > 0 ? 0 : -ENOENT;
}

int db_push_list(Database *db, db_push_cb cb, void *userdata) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT endpoint, p256dh, auth, created_at FROM push_subscriptions ORDER BY created_at",
                         &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = cb((const char *) sqlite3_column_text(st, 0) ?: "", (const char *) sqlite3_column_text(st, 1) ?: "",
                       (const char *) sqlite3_column_text(st, 2) ?: "", (usec_t) sqlite3_column_int64(st, 3),
                       userdata);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : sqlite_to_errno(rc) ?: -EIO;
}

/* ---- Federation API keys ---- */

int db_api_key_get_pepper(Database *db, uint8_t ret[static DB_API_KEY_PEPPER_SIZE]) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT pepper FROM api_key_pepper WHERE id = 1", &st);
        if (r < 0)
                return r;
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        if (sqlite3_column_bytes(st, 0) != DB_API_KEY_PEPPER_SIZE)
                return -EBADMSG;
        memcpy(ret, sqlite3_column_blob(st, 0), DB_API_KEY_PEPPER_SIZE);
        return 0;
}

int db_api_key_init_pepper(Database *db, const uint8_t pepper[static DB_API_KEY_PEPPER_SIZE]) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = prepare_once(db, "INSERT OR IGNORE INTO api_key_pepper (id, pepper) VALUES (1, ?1)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_blob(st, 1, pepper, DB_API_KEY_PEPPER_SIZE, SQLITE_STATIC);
        return step_done(st);
}

int db_api_key_add(Database *db, const char *name, const char *key_id,
                   const uint8_t digest[static DB_API_KEY_DIGEST_SIZE], usec_t now, unsigned max_rows) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *cnt = NULL, *st = NULL;
        int r;

        r = prepare_once(db, "SELECT count(*), count(CASE WHEN name = ?1 THEN 1 END) FROM api_keys", &cnt);
        if (r < 0)
                return r;
        sqlite3_bind_text(cnt, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(cnt) != SQLITE_ROW)
                return -EIO;
        if (sqlite3_column_int(cnt, 1) > 0)
                return -EEXIST;
        if ((unsigned) sqlite3_column_int(cnt, 0) >= max_rows)
                return -ENOSPC;
        r = prepare_once(db, "INSERT INTO api_keys (name, key_id, digest, created_at) VALUES (?1, ?2, ?3, ?4)", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, digest, DB_API_KEY_DIGEST_SIZE, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) now);
        return step_done(st);
}

int db_api_key_lookup(Database *db, const char *key_id, char **ret_name,
                      uint8_t ret_digest[static DB_API_KEY_DIGEST_SIZE]) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT name, digest FROM api_keys WHERE key_id = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, key_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return sqlite_to_errno(rc) ?: -EIO;
        if (sqlite3_column_bytes(st, 1) != DB_API_KEY_DIGEST_SIZE)
                return -EBADMSG;
        char *name = strdup((const char *) sqlite3_column_text(st, 0) ?: "");
        if (!name)
                return -ENOMEM;
        memcpy(ret_digest, sqlite3_column_blob(st, 1), DB_API_KEY_DIGEST_SIZE);
        *ret_name = name;
        return 0;
}

int db_api_key_touch(Database *db, const char *name, usec_t now) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r;

        r = prepare_once(db, "UPDATE api_keys SET last_used_at = ?2 WHERE name = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) now);
        return step_done(st);
}

int db_api_key_remove(Database *db, const char *name) {
        int r = exec_by_key(db, "DELETE FROM api_keys WHERE name = ?1", name);
        return r < 0 ? r : r > 0 ? 0 : -ENOENT;
}

int db_api_key_list(Database *db, db_api_key_cb cb, void *userdata) {
        _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
        int r, rc;

        r = prepare_once(db, "SELECT name, created_at, last_used_at FROM api_keys ORDER BY created_at, name", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = cb((const char *) sqlite3_column_text(st, 0) ?: "", (usec_t) sqlite3_column_int64(st, 1),
                       (usec_t) sqlite3_column_int64(st, 2), userdata);
                if (r < 0)
                        return r;
        }
        return rc == SQLITE_DONE ? 0 : sqlite_to_errno(rc) ?: -EIO;
}

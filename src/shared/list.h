/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An embedded doubly linked list (systemd's list.h shape): the links live in the item, named by a field
 * prefix, so one item can sit in several lists and unlinking is O(1) without a search. */
#pragma once

#include <assert.h>
#include <stddef.h>

/* In the item: LIST_FIELDS(Item, clients) declares clients_next and clients_prev. */
#define LIST_FIELDS(t, name) t *name##_next, *name##_prev

#define LIST_HEAD_INIT(head) ((head) = NULL)

/* Puts item at the front of the list starting at head. */
#define LIST_PREPEND(name, head, item)                                  \
        do {                                                            \
                __typeof__(*(head)) **_head = &(head), *_item = (item); \
                assert(_item);                                          \
                if ((_item->name##_next = *_head))                      \
                        _item->name##_next->name##_prev = _item;        \
                _item->name##_prev = NULL;                              \
                *_head = _item;                                         \
        } while (0)

/* Takes item out of the list starting at head; its links are cleared. */
#define LIST_REMOVE(name, head, item)                                         \
        do {                                                                  \
                __typeof__(*(head)) **_head = &(head), *_item = (item);       \
                assert(_item);                                                \
                if (_item->name##_next)                                       \
                        _item->name##_next->name##_prev = _item->name##_prev; \
                if (_item->name##_prev)                                       \
                        _item->name##_prev->name##_next = _item->name##_next; \
                else {                                                        \
                        assert(*_head == _item);                              \
                        *_head = _item->name##_next;                          \
                }                                                             \
                _item->name##_next = _item->name##_prev = NULL;               \
        } while (0)

/* Iterates; the body may not remove i (use LIST_FOREACH_SAFE for that). */
#define LIST_FOREACH(name, i, head) for (__typeof__(*(head)) *i = (head); i; i = i->name##_next)

/* Iterates; the body may remove (and free) i. */
#define LIST_FOREACH_SAFE(name, i, n, head)                                      \
        for (__typeof__(*(head)) *i = (head), *n = i ? i->name##_next : NULL; i; \
             i = n, n = i ? i->name##_next : NULL)

/* Whether item is linked into some list of this name (given it is not the only item of one). */
#define LIST_JUST_US(name, item) (!(item)->name##_prev && !(item)->name##_next)

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP basic authentication against bcrypt hashes (libxcrypt).
 *
 * bcrypt is slow on purpose (cost 10: tens of ms), too slow to pay on
 * every scrape: a successful check is remembered as an HMAC-SHA256 of
 * user and password under a key drawn at start-up, so neither password
 * nor a reusable hash of it stays in memory. Failures are not cached, so
 * wrong guesses cannot push good entries out. One bcrypt runs at a time:
 * a flood of wrong passwords costs at most one core, and remembered
 * scrapes never wait behind it. An unknown user costs a bcrypt too, so
 * timing does not tell which users exist.
 */
#ifndef BPFMAP_BASIC_AUTH_H
#define BPFMAP_BASIC_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "web_config.h"

#define BASIC_AUTH_CACHE_SIZE 64 /* remembered (user, password) pairs */

struct basic_auth;

int basic_auth__new(struct basic_auth **out, const struct web_user *users, size_t nr_users);
void basic_auth__free(struct basic_auth *ba); /* NULL-safe */
/* Do user and password match a configured user? Safe from several threads. */
bool basic_auth__check(struct basic_auth *ba, const char *user, const char *password);
/* Checks that ran bcrypt (for tests: a cached check does not). */
unsigned long basic_auth__bcrypt_runs(struct basic_auth *ba);

#endif

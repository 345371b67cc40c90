/*
** SHA-256 (FIPS 180-4), for the build-time checksums of migration text.
*/
#ifndef DMG_SHA256_H
#define DMG_SHA256_H

#include <stddef.h>

/* Write the lower-case hex digest of z[0..n) and a NUL into zHex[65]. */
void dmg_sha256_hex(const void *z, size_t n, char zHex[65]);

#endif

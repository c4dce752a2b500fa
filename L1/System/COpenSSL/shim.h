#ifndef AETHER_COPENSSL_SHIM_H
#define AETHER_COPENSSL_SHIM_H
/* OpenSSL's libcrypto: the SHA-256 block functions for Merkle-node hashing (no allocation per
 * digest; see Docs/adr/0002-hashing-and-proof-formats.md) and the benchmark baselines. The
 * SHA256_Init/Update/Final family is deprecated in favour of EVP, whose per-call cost is what we
 * avoid here; it remains supported throughout OpenSSL 3. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif

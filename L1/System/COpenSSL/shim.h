#ifndef AETHER_COPENSSL_SHIM_H
#define AETHER_COPENSSL_SHIM_H
/* Used only by the benchmark baselines (raw SHA-256 and SHA3-256). */
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif

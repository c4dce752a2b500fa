#ifndef AETHER_CSECP256K1_SHIM_H
#define AETHER_CSECP256K1_SHIM_H
#include <secp256k1.h>
#include <secp256k1_recovery.h>

/* The flag macros combine other macros, which Swift does not import; name their values here. */
static const unsigned int aether_secp256k1_context_none = SECP256K1_CONTEXT_NONE;
static const unsigned int aether_secp256k1_ec_compressed = SECP256K1_EC_COMPRESSED;
static const unsigned int aether_secp256k1_ec_uncompressed = SECP256K1_EC_UNCOMPRESSED;
#endif

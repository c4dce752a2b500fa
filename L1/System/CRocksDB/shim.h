#ifndef AETHER_CROCKSDB_SHIM_H
#define AETHER_CROCKSDB_SHIM_H
#include <rocksdb/c.h>
#endif

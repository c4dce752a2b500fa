#ifndef AETHER_CSODIUM_SHIM_H
#define AETHER_CSODIUM_SHIM_H
#include <sodium.h>
#endif

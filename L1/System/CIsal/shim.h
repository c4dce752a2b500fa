#ifndef AETHER_CISAL_SHIM_H
#define AETHER_CISAL_SHIM_H
/* Intel ISA-L's GF(2^8) erasure code: matrix generation and inversion, table setup and the SIMD
 * encoder, for the data-availability square (Docs/adr/0009-data-availability-encoding.md). */
#include <isa-l/erasure_code.h>
#endif

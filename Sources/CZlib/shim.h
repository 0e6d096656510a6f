#ifndef VEZA_CZLIB_SHIM_H
#define VEZA_CZLIB_SHIM_H

#include <zlib.h>

// deflateInit2 is a macro; this wraps it for Swift. windowBits 15 + 16 writes a gzip stream.
static inline int veza_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

#endif

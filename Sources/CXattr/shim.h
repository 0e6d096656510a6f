#ifndef VEZA_CXATTR_SHIM_H
#define VEZA_CXATTR_SHIM_H

// fgetxattr(2), which Swift's Glibc module does not export: the file-system store reads an
// object's ETag and content type with it in the same thread-pool step that opens the file.
#include <sys/types.h>
#include <sys/xattr.h>

#endif

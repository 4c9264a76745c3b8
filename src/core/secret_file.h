// Shared secrets live in files, never inline in a configuration.
#pragma once

#include <string>

#include "core/crypto.h"

namespace hdsso {

// Reads the whole file; one trailing "\n" or "\r\n" is dropped (editors add
// it). config.io if unreadable, config.invalid if empty or over 4 KiB.
Result<SecretString> read_secret_file(const std::string& path);

}  // namespace hdsso

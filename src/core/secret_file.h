// Configuration files: shared secrets (which live in files, never inline in
// a configuration), keys, certificates, metadata.
#pragma once

#include <string>

#include "core/crypto.h"

namespace hdsso {

// Reads the whole file; one trailing "\n" or "\r\n" is dropped (editors add
// it). config.io if unreadable, config.invalid if empty or over 4 KiB.
Result<SecretString> read_secret_file(const std::string& path);

// The whole file, at most `max_bytes`. config.io if unreadable,
// config.invalid if larger.
Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes = 4 * 1024 * 1024);

}  // namespace hdsso

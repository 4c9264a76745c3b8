#include "core/secret_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace hdsso {

Result<SecretString> read_secret_file(const std::string& path) {
    constexpr std::size_t kMax = 4096;
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Status::config_io, "cannot open secret file " + path + ": " + std::strerror(errno));
    std::string data;
    char buf[512];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        data.append(buf, static_cast<std::size_t>(in.gcount()));
        if (data.size() > kMax + 2) break;
    }
    SecretString wipe_buf(std::string(buf, sizeof buf));
    if (in.bad()) return make_error(Status::config_io, "cannot read secret file " + path);
    if (!data.empty() && data.back() == '\n') data.pop_back();
    if (!data.empty() && data.back() == '\r') data.pop_back();
    SecretString secret(std::move(data));
    if (secret.empty()) return make_error(Status::config_invalid, "secret file " + path + " is empty");
    if (secret.size() > kMax) return make_error(Status::config_invalid, "secret file " + path + " is larger than 4 KiB");
    return secret;
}

Result<std::string> read_config_file(const std::string& path, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Status::config_io, "cannot open " + path + ": " + std::strerror(errno));
    std::string data;
    char buf[8192];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        data.append(buf, static_cast<std::size_t>(in.gcount()));
        if (data.size() > max_bytes)
            return make_error(Status::config_invalid, path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    if (in.bad()) return make_error(Status::config_io, "cannot read " + path);
    return data;
}

}  // namespace hdsso

// How the module reaches a store shared by several servers (Redis or
// memcached): servers, credentials and time limits.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace hdsso {

struct RemoteStoreOptions {
    // host, port; memcached may list several (libmemcached distributes keys
    // by consistent hashing: every server of a cluster must list the same
    // set). Redis uses the first.
    std::vector<std::pair<std::string, int>> servers;
    std::string user;      // Redis ACL user (AUTH user password); empty: AUTH password
    std::string password;  // empty: no AUTH
    int database = 0;      // Redis SELECT
    int connect_timeout_ms = 1000;
    int command_timeout_ms = 1000;  // each read or write of a command
    std::size_t max_idle = 16;      // idle connections each process keeps
    // Largest value written or accepted on read (a session record is at most
    // 64 KiB, kMaxSessionRecord). Larger writes: store.full.
    std::size_t max_value_bytes = 64 * 1024;
};

}  // namespace hdsso

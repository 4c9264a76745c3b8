// How the module reaches a store shared by several servers (Redis or
// memcached): servers, credentials and time limits.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hdsso {

struct RemoteStoreOptions {
    // host, port; memcached may list several (libmemcached distributes keys).
    std::vector<std::pair<std::string, int>> servers;
    std::string user;      // Redis ACL user (AUTH user password); empty: AUTH password
    std::string password;  // empty: no AUTH
    int database = 0;      // Redis SELECT
    int connect_timeout_ms = 1000;
    int command_timeout_ms = 1000;
    std::size_t max_idle = 16;  // idle connections each process keeps
};

}  // namespace hdsso

// Checks of the configuration as written (Apache's parsed tree,
// ap_conftree), for what no single directive or site setting shows: a
// secret or private key file every user can read, and a Require line of the
// module where no AuthType HelpdeskSSO applies (every request there would
// fail with 500). Each finding names the directive, the file and line it is
// on, and the fix; run at startup and by apachectl -t, as warnings.
#pragma once

#include <string>
#include <vector>

#include "httpd.h"

namespace hdsso::mod {

struct TreeFinding {
    std::string site;     // "helpdesk.example.com:443": ServerName, with the <VirtualHost> port
    std::string defined_at;  // "<VirtualHost *:443> at FILE:LINE", or the main server configuration
    std::string code;     // file.world_readable, authz.no_auth_type
    std::string message;
};

std::vector<TreeFinding> check_config_tree(apr_pool_t* ptemp);

}  // namespace hdsso::mod

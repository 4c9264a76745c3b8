#include "mod/conftree_check.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "apr_strings.h"
#include "http_config.h"
#include "util_cfgtree.h"

namespace hdsso::mod {

namespace {

bool iequals(const std::string& a, const char* b) { return !strcasecmp(a.c_str(), b); }

// A section's argument as written, without the closing '>'.
std::string section_arg(const ap_directive_t* d) {
    std::string a = d->args ? d->args : "";
    while (!a.empty() && (a.back() == '>' || a.back() == ' ')) a.pop_back();
    if (a.size() >= 2 && (a.front() == '"' || a.front() == '\'') && a.back() == a.front()) a = a.substr(1, a.size() - 2);
    return a;
}

std::vector<std::string> words(apr_pool_t* p, const char* args) {
    std::vector<std::string> out;
    const char* rest = args ? args : "";
    while (*rest) {
        char* w = ap_getword_conf(p, &rest);
        if (!*w) break;
        out.emplace_back(w);
    }
    return out;
}

std::string at(const ap_directive_t* d) {
    return std::string(d->filename ? d->filename : "?") + ":" + std::to_string(d->line_num);
}

// Sections that select requests (the Require* and Limit* containers only
// group authorization and are looked through).
bool selecting_section(const std::string& name) {
    for (const char* s : {"<Location", "<LocationMatch", "<Directory", "<DirectoryMatch", "<Files", "<FilesMatch",
                          "<If", "<ElseIf", "<Else", "<Proxy", "<ProxyMatch"})
        if (iequals(name, s)) return true;
    return false;
}

struct Scope {
    const ap_directive_t* vhost = nullptr;  // null: the main server
    std::vector<const ap_directive_t*> sections;  // outermost first
};

struct AuthTypeLine {
    Scope scope;
    bool ours;
};

struct RequireLine {
    Scope scope;
    const ap_directive_t* d;
};

struct FileLine {
    Scope scope;
    const ap_directive_t* d;
    std::string directive, path;
    bool maybe_public;  // a JWT key file may hold a public key only
};

struct Walk {
    apr_pool_t* p;
    std::vector<AuthTypeLine> auth_types;
    std::vector<RequireLine> requires;
    std::vector<FileLine> files;

    void visit(const ap_directive_t* d, Scope scope) {
        for (; d; d = d->next) {
            std::string name = d->directive ? d->directive : "";
            if (iequals(name, "<VirtualHost")) {
                Scope inner;
                inner.vhost = d;
                visit(d->first_child, inner);
                continue;
            }
            if (!name.empty() && name[0] == '<') {
                Scope inner = scope;
                if (selecting_section(name)) inner.sections.push_back(d);
                visit(d->first_child, inner);
                continue;
            }
            auto args = words(p, d->args);
            if (iequals(name, "AuthType") && !args.empty()) {
                auth_types.push_back({scope, iequals(args[0], "HelpdeskSSO")});
            } else if (iequals(name, "Require") && !args.empty()) {
                std::size_t i = iequals(args[0], "not") ? 1 : 0;
                if (i < args.size() && (iequals(args[i], "helpdesk-sso-group") || iequals(args[i], "helpdesk-sso-attribute")))
                    requires.push_back({scope, d});
            } else if (iequals(name, "HelpdeskSSORemoteSecretFile") && !args.empty()) {
                for (const auto& file : args) files.push_back({scope, d, name, file, false});
            } else if ((iequals(name, "HelpdeskSSOSAMLKeyFile") || iequals(name, "HelpdeskSSOSAMLNextKeyFile")) &&
                       !args.empty()) {
                files.push_back({scope, d, name, args[0], false});
            } else if (iequals(name, "HelpdeskSSOJWTKeyFile") && !args.empty()) {
                files.push_back({scope, d, name, args[0], true});
            } else if (iequals(name, "HelpdeskSSOBroker") && args.size() >= 3) {
                files.push_back({scope, d, name + " " + args[0], args[2], false});
            }
        }
    }
};

std::string site_of(apr_pool_t* p, const Scope& s) {
    std::string name = "?";
    const ap_directive_t* top = s.vhost ? s.vhost->first_child : ap_conftree;
    for (const ap_directive_t* c = top; c; c = c->next)
        if (c->directive && iequals(c->directive, "ServerName")) {
            auto w = words(p, c->args);
            if (!w.empty()) name = w[0];
        }
    if (s.vhost && name.find(':') == std::string::npos) {
        std::string addr = section_arg(s.vhost);
        addr = addr.substr(0, addr.find(' '));
        auto colon = addr.rfind(':');
        if (colon != std::string::npos && addr.find(']', colon) == std::string::npos) name += addr.substr(colon);
    }
    return name;
}

std::string defined_at(const Scope& s) {
    if (!s.vhost) return "the main server configuration";
    return "<VirtualHost " + section_arg(s.vhost) + "> at " + at(s.vhost);
}

std::string section_text(const ap_directive_t* d) {
    return std::string(d->directive) + " " + section_arg(d) + ">";
}

// Whether some AuthType HelpdeskSSO may apply where `r` is. Sections merge
// from the server down: an AuthType in the same or an enclosing section
// applies, so does one in a <Location> whose path is a prefix of the
// Require's <Location>; one in a <Directory>, <Files>, a regex section or
// <If> may apply (the tree cannot tell which URLs those take), and counts.
bool auth_type_applies(const RequireLine& r, const std::vector<AuthTypeLine>& types) {
    const auto& rs = r.scope.sections;
    // An AuthType other than ours in the Require's own section decides.
    for (const auto& t : types)
        if (t.scope.vhost == r.scope.vhost && t.scope.sections == rs && !rs.empty()) {
            if (!t.ours) return false;
        }
    for (const auto& t : types) {
        if (!t.ours) continue;
        if (t.scope.vhost && t.scope.vhost != r.scope.vhost) continue;
        const auto& ts = t.scope.sections;
        bool enclosing = ts.size() <= rs.size() && std::equal(ts.begin(), ts.end(), rs.begin());
        if (enclosing) return true;
        if (ts.empty()) continue;
        const ap_directive_t* tsec = ts.back();
        std::string kind = tsec->directive;
        if (!iequals(kind, "<Location")) return true;  // cannot tell: may apply
        if (rs.empty()) continue;
        const ap_directive_t* rsec = rs.back();
        if (!iequals(rsec->directive, "<Location")) return true;
        std::string tp = section_arg(tsec), rp = section_arg(rsec);
        if (rp.compare(0, tp.size(), tp) == 0) return true;
    }
    return false;
}

// Whether a key file holds a secret or a private key (a JWT key file may
// hold only a public key or certificate, which anyone may read).
bool holds_secret(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::string text;
    text.resize(64 * 1024);
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(f.gcount()));
    if (text.find("PRIVATE KEY") != std::string::npos) return true;
    if (text.find("-----BEGIN") != std::string::npos) return false;  // public key, certificate
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string::npos && text[first] == '{')
        return text.find("\"d\"") != std::string::npos || text.find("\"k\"") != std::string::npos;
    return true;  // a shared-secret file
}

}  // namespace

std::vector<TreeFinding> check_config_tree(apr_pool_t* ptemp) {
    std::vector<TreeFinding> out;
    Walk w{ptemp, {}, {}, {}};
    w.visit(ap_conftree, Scope{});

    for (const auto& r : w.requires) {
        if (auth_type_applies(r, w.auth_types)) continue;
        std::string where = r.scope.sections.empty() ? std::string("at server level")
                                                     : "in " + section_text(r.scope.sections.back());
        out.push_back({site_of(ptemp, r.scope), defined_at(r.scope), "authz.no_auth_type",
                       std::string("Require ") + (r.d->args ? r.d->args : "") + " (" + at(r.d) + ") is " + where +
                           ", where no AuthType HelpdeskSSO applies: every request there would fail with 500; add "
                           "\"AuthType HelpdeskSSO\" to that section (or to a <Location> above it)"});
    }

    for (const auto& f : w.files) {
        const char* path = ap_server_root_relative(ptemp, f.path.c_str());
        struct stat st;
        if (!path || stat(path, &st) != 0 || !(st.st_mode & S_IROTH)) continue;
        if (f.maybe_public && !holds_secret(path)) continue;
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        out.push_back({site_of(ptemp, f.scope), defined_at(f.scope), "file.world_readable",
                       f.directive + " " + path + " (" + at(f.d) + ") holds a secret or private key and every user "
                           "of this machine can read it (mode " + mode + "); run: chmod o-rwx " + path +
                           " (the module reads it at startup, as root)"});
    }
    return out;
}

}  // namespace hdsso::mod

// hdsso config check: the module's configuration check of every site, as
// apachectl -t runs it (the module's check_config hook), summarised.
#include "config.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "jose/json.h"
#include "url/endpoints.h"

namespace hdsso {

namespace {

// Runs argv with stdout and stderr captured; the exit status, or -1 when
// the program could not be started.
int run(const std::vector<std::string>& argv, std::string& output) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int config_check(const Args& a) {
    if (auto bad = a.check({"config", "apache-bin", "apachectl"}, 0, 0)) return cli::usage(*bad);
    std::vector<std::string> argv;
    if (auto conf = a.one("config")) {
        argv = {a.one("apache-bin").value_or(HDSSO_APACHE_BIN), "-t", "-f", *conf};
    } else {
        argv = {a.one("apachectl").value_or(HDSSO_APACHECTL), "-t"};
    }
    std::string output;
    int rc = run(argv, output);
    if (rc < 0 || rc == 127) {
        std::cerr << "error: config.io: cannot run " << argv[0] << "\n";
        return cli::kConfig;
    }
    int errors = 0, warnings = 0;
    std::size_t pos = 0;
    while (pos < output.size()) {
        std::size_t end = output.find('\n', pos);
        std::string line = output.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? output.size() : end + 1;
        std::size_t at = line.find("HDSSO06");
        if (at != std::string::npos) {
            std::string finding = line.substr(at + 10);  // after "HDSSO06x: "
            (line.compare(at, 9, "HDSSO060:") == 0 ? errors : warnings) += 1;
            std::cout << finding << "\n";
        } else if (rc != 0 && !line.empty()) {
            std::cout << line << "\n";  // Apache's own reason (a syntax error, ...)
        }
    }
    std::cout << errors << " errors, " << warnings << " warnings" << (rc == 0 ? "" : "; apachectl -t failed") << "\n";
    return rc == 0 && errors == 0 ? cli::kOk : cli::kFailed;
}

// hdsso config endpoints: the module's endpoint table, for admins (what a
// site answers under its prefix) and for the tests that try every row.
int config_endpoints(const Args& a) {
    if (auto bad = a.check({"prefix", "json"}, 0, 0)) return cli::usage(*bad);
    std::string prefix = a.one("prefix").value_or("/sso");
    if (prefix.size() < 2 || prefix[0] != '/' || prefix.back() == '/')
        return cli::usage("--prefix takes a path such as /sso");
    if (a.one("json")) {
        JsonWriter w;
        w.begin_array();
        for (const auto& e : kEndpoints) {
            w.begin_object().key("path").string(prefix + e.leaf).key("methods").string(method_names(e.methods));
            w.key("served_when").string(served_when_name(e.served));
            w.key("needs_session").raw(e.needs_session ? "true" : "false").end_object();
        }
        std::cout << w.end_array().text() << "\n";
        return cli::kOk;
    }
    for (const auto& e : kEndpoints)
        std::cout << prefix << e.leaf << "\t" << method_names(e.methods) << "\t" << e.what << " (served: "
                  << served_when_name(e.served) << (e.needs_session ? "; needs a session" : "") << ")\n";
    return cli::kOk;
}

}  // namespace hdsso

// A real redis-server or memcached for one test: started on a free loopback
// port (below 32700) in a temporary directory of its own, without
// persistence, and stopped by its PID when the test ends. A missing binary
// fails the test with the Debian package to install; nothing is skipped.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hdsso::test {

// Closes a socket descriptor when it goes out of scope.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

inline Fd loopback_socket(int port, bool connect_to) {
    Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto* sa = reinterpret_cast<sockaddr*>(&a);
    int rc = connect_to ? ::connect(s.get(), sa, sizeof a) : ::bind(s.get(), sa, sizeof a);
    return rc == 0 ? std::move(s) : Fd();
}

// One request over a new loopback connection; the answer up to `until`
// (its first CRLF by default), "" if the server does not answer within two
// seconds.
inline std::string ask(int port, const std::string& request, const std::string& until = "\r\n") {
    Fd s = loopback_socket(port, true);
    if (s.get() < 0) return "";
    if (::send(s.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        return "";
    std::string answer;
    char buf[512];
    while (answer.find(until) == std::string::npos) {
        pollfd p{s.get(), POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0) return "";
        ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
        if (n <= 0) return "";
        answer.append(buf, static_cast<std::size_t>(n));
    }
    return answer.substr(0, answer.find(until));
}

// A port that accepts connections (the kernel completes them) but never
// answers: commands sent to it time out.
class SilentServer {
public:
    SilentServer() {
        static std::mt19937 rng(std::random_device{}());
        std::uniform_int_distribution<int> pick(20000, 32699);
        for (int i = 0; i < 100 && port_ < 0; ++i) {
            int port = pick(rng);
            Fd s = loopback_socket(port, false);
            if (s.get() >= 0 && ::listen(s.get(), 16) == 0) {
                fd_ = std::move(s);
                port_ = port;
            }
        }
        if (port_ < 0) CPPUNIT_FAIL("no free loopback port for a silent server");
    }
    int port() const { return port_; }

private:
    Fd fd_;
    int port_ = -1;
};

class ServerProcess {
public:
    enum class Kind { redis, memcached };

    explicit ServerProcess(Kind kind, std::vector<std::string> extra = {}) : kind_(kind), extra_(std::move(extra)) {
        binary_ = find_binary(kind == Kind::redis ? "redis-server" : "memcached");
        if (binary_.empty())
            CPPUNIT_FAIL(kind == Kind::redis
                             ? "redis-server is not installed: install the Debian package redis-server"
                             : "memcached is not installed: install the Debian package memcached");
        char tmpl[] = "/tmp/hdsso-store-test-XXXXXX";
        if (!::mkdtemp(tmpl)) CPPUNIT_FAIL("cannot create a temporary directory");
        dir_ = tmpl;
        for (int attempt = 0; attempt < 8 && pid_ < 0; ++attempt) {
            port_ = free_port();
            if (port_ > 0) launch_and_wait();
        }
        if (pid_ < 0) {
            std::string why = "could not start " + binary_ + ": " + log_tail();
            remove_dir();
            CPPUNIT_FAIL(why);
        }
    }

    // Killed outright: the test is over and nothing is persisted.
    ~ServerProcess() {
        kill_now();
        remove_dir();
    }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    int port() const { return port_; }

    // As a crash would: SIGKILL, then reaped.
    void kill_now() { signal_and_reap(SIGKILL); }

    // SIGTERM; SIGKILL if it has not exited after five seconds.
    void stop() { signal_and_reap(SIGTERM); }

    // Again, on the same port with the same arguments.
    void start() {
        if (pid_ >= 0) return;
        for (int attempt = 0; attempt < 50 && pid_ < 0; ++attempt) {
            launch_and_wait();
            if (pid_ < 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        if (pid_ < 0) CPPUNIT_FAIL("could not restart " + binary_ + ": " + log_tail());
    }

private:
    static std::string find_binary(const std::string& name) {
        std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
        path += ":/usr/bin:/usr/sbin:/usr/local/bin";
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            std::string candidate = dir + "/" + name;
            if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
        }
        return "";
    }

    // A port below 32700 that nothing listens on right now (the server may
    // still lose a race for it: then another port is tried).
    static int free_port() {
        static std::mt19937 rng(std::random_device{}());
        std::uniform_int_distribution<int> pick(20000, 32699);
        for (int i = 0; i < 100; ++i) {
            int port = pick(rng);
            if (loopback_socket(port, false).get() >= 0) return port;
        }
        return -1;
    }

    std::vector<std::string> arguments() const {
        std::string port = std::to_string(port_);
        std::vector<std::string> args{binary_};
        if (kind_ == Kind::redis) {
            args.insert(args.end(), {"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--dir", dir_, "--daemonize", "no"});
        } else {
            args.insert(args.end(), {"-l", "127.0.0.1", "-p", port, "-U", "0"});
            if (::geteuid() == 0) args.insert(args.end(), {"-u", "nobody"});
        }
        args.insert(args.end(), extra_.begin(), extra_.end());
        return args;
    }

    void launch_and_wait() {
        std::vector<std::string> args = arguments();
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        std::string log = dir_ + "/server.log";
        pid_t pid = ::fork();
        if (pid == 0) {
            // A safety net should the test run die: redis-server dies with it.
            // (Cleared when memcached switches to -u nobody; the destructor and
            // stop() remain the way servers end.)
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            int in = ::open("/dev/null", O_RDONLY);
            if (out >= 0) ::dup2(out, 1), ::dup2(out, 2);
            if (in >= 0) ::dup2(in, 0);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        if (pid < 0) return;
        pid_ = pid;
        if (!wait_until_answering()) signal_and_reap(SIGKILL);
    }

    bool exited() {
        if (::waitpid(pid_, nullptr, WNOHANG) != pid_) return false;
        pid_ = -1;
        return true;
    }

    // Up to ten seconds for the first answer; false if it exits before. An
    // answer from a process that then exits came from someone else's server
    // on that port (ours could not bind it).
    bool wait_until_answering() {
        const std::string probe = kind_ == Kind::redis ? "PING\r\n" : "version\r\n";
        for (int i = 0; i < 200; ++i) {
            if (exited()) return false;
            std::string answer = ask(port_, probe);
            if (answer.rfind("+PONG", 0) == 0 || answer.rfind("-NOAUTH", 0) == 0 || answer.rfind("VERSION", 0) == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                return !exited();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    void signal_and_reap(int sig) {
        if (pid_ < 0) return;
        ::kill(pid_, sig);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    void remove_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    std::string log_tail() const {
        std::ifstream in(dir_ + "/server.log");
        std::stringstream all;
        all << in.rdbuf();
        std::string text = all.str();
        return text.size() > 600 ? text.substr(text.size() - 600) : text;
    }

    Kind kind_;
    std::vector<std::string> extra_;
    std::string binary_;
    std::string dir_;
    int port_ = -1;
    pid_t pid_ = -1;
};

}  // namespace hdsso::test

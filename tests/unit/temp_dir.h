// A temporary directory for one test, removed with what is in it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hdsso::test {

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/hdsso-unit-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() {
        if (DIR* d = opendir(path.c_str())) {
            while (dirent* e = readdir(d))
                if (e->d_name[0] != '.' || (std::string(e->d_name) != "." && std::string(e->d_name) != ".."))
                    unlink((path + "/" + e->d_name).c_str());
            closedir(d);
        }
        rmdir(path.c_str());
    }
    std::size_t files() const {
        std::size_t n = 0;
        if (DIR* d = opendir(path.c_str())) {
            while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
            closedir(d);
        }
        return n;
    }
    // Writes NAME here, readable by its owner only; returns its path.
    std::string write(const std::string& name, const std::string& content) const {
        std::string file = path + "/" + name;
        std::ofstream(file, std::ios::binary) << content;
        chmod(file.c_str(), 0600);
        return file;
    }
};

}  // namespace hdsso::test

// Where the public test vectors are: $HDSSO_VECTORS, else tests/vectors in
// the source tree (copied from their public sources, licences beside each set).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <cppunit/extensions/HelperMacros.h>

inline std::string vectors_dir() {
    if (const char* env = std::getenv("HDSSO_VECTORS")) return env;
    return std::string(HDSSO_TOP_SRCDIR) + "/tests/vectors";
}

inline std::string read_vector(const std::string& rel) {
    std::string path = vectors_dir() + "/" + rel;
    std::ifstream in(path, std::ios::binary);
    CPPUNIT_ASSERT_MESSAGE("test vector missing: " + path + " (set HDSSO_VECTORS)", in.good());
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

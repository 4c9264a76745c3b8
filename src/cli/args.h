// A small option parser for hdsso: "--name value" or "--name=value",
// value-less flags, repeatable options, and positional words ("-" is
// positional).
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hdsso {

struct Args {
    std::multimap<std::string, std::string> options;
    std::vector<std::string> positional;

    // `flags`: options that take no value; they read as "yes".
    static Result<Args> parse(const std::vector<std::string>& words, std::initializer_list<const char*> flags = {});
    // The value of an option given once (the last one if repeated).
    std::optional<std::string> one(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    // A usage complaint if an option is not in `known` or the number of
    // positional words is outside [min, max].
    std::optional<std::string> check(std::initializer_list<const char*> known, std::size_t min,
                                     std::size_t max) const;
};

}  // namespace hdsso

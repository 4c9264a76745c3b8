#include "cli/args.h"

#include <algorithm>

namespace hdsso {

Result<Args> Args::parse(const std::vector<std::string>& words, std::initializer_list<const char*> flags) {
    Args a;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w.size() > 2 && w.compare(0, 2, "--") == 0) {
            std::string name = w.substr(2), value;
            auto eq = name.find('=');
            bool flag = std::any_of(flags.begin(), flags.end(), [&](const char* f) { return name == f; });
            if (eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            } else if (flag) {
                value = "yes";
            } else if (i + 1 < words.size()) {
                value = words[++i];
            } else {
                return make_error(Status::config_invalid, "option --" + name + " needs a value");
            }
            a.options.emplace(name, value);
        } else {
            a.positional.push_back(w);
        }
    }
    return a;
}

std::optional<std::string> Args::one(const std::string& name) const {
    auto range = options.equal_range(name);
    if (range.first == range.second) return std::nullopt;
    return std::prev(range.second)->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
    std::vector<std::string> r;
    auto range = options.equal_range(name);
    for (auto it = range.first; it != range.second; ++it) r.push_back(it->second);
    return r;
}

std::optional<std::string> Args::check(std::initializer_list<const char*> known, std::size_t min,
                                       std::size_t max) const {
    for (const auto& option : options) {
        // Not a structured binding: clang++ before 16 cannot capture one in
        // a lambda (the sanitizer build uses clang++-14).
        const std::string& k = option.first;
        if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; }))
            return "unknown option --" + k;
    }
    if (positional.size() < min) return "missing argument";
    if (positional.size() > max) return "unexpected argument '" + positional[max] + "'";
    return std::nullopt;
}

}  // namespace hdsso

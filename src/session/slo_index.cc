#include "session/slo_index.h"

#include <algorithm>

#include "core/crypto.h"

namespace hdsso {

namespace {

constexpr std::size_t kMaxHandles = 32;

std::vector<std::string> split(std::string_view list) {
    std::vector<std::string> out;
    while (!list.empty()) {
        std::size_t nl = list.find('\n');
        std::string_view one = list.substr(0, nl);
        if (!one.empty()) out.emplace_back(one);
        if (nl == std::string_view::npos) break;
        list.remove_prefix(nl + 1);
    }
    return out;
}

}  // namespace

std::string SloIndex::key(SloProtocol p, const char* kind, std::string_view issuer, std::string_view value) {
    std::string material(issuer);
    material += "\n";
    material += value;
    return std::string(p == SloProtocol::oidc ? "oidc-" : "saml-") + kind + ":" + hex_encode(sha256(material));
}

Result<void> SloIndex::add(const std::string& k, std::string_view handle, std::int64_t until) {
    auto old = kv_.get(k);
    if (!old) return old.error();
    std::vector<std::string> handles = old.value() ? split(*old.value()) : std::vector<std::string>{};
    handles.erase(std::remove(handles.begin(), handles.end(), handle), handles.end());
    handles.emplace_back(handle);
    if (handles.size() > kMaxHandles) handles.erase(handles.begin(), handles.end() - kMaxHandles);
    std::string value;
    for (const auto& h : handles) value += (value.empty() ? "" : "\n") + h;
    // Kept as long as the newest session it leads to (an older one that is
    // gone by then is simply not found).
    return kv_.put(k, value, until);
}

Result<void> SloIndex::record(const Identity& id, std::string_view handle, std::int64_t until) {
    SloProtocol p = id.name_id_format == "oidc" ? SloProtocol::oidc : SloProtocol::saml;
    if (!id.session_index.empty())
        if (auto r = add(key(p, "sid", id.issuer, id.session_index), handle, until); !r) return r;
    return add(key(p, "nid", id.issuer, id.name_id), handle, until);
}

Result<std::vector<std::string>> SloIndex::take(std::string_view issuer,
                                               const std::vector<std::string>& session_indexes,
                                               std::string_view name_id, SloProtocol p) {
    std::vector<std::string> keys;
    for (const auto& index : session_indexes) keys.push_back(key(p, "sid", issuer, index));
    if (keys.empty()) keys.push_back(key(p, "nid", issuer, name_id));
    std::vector<std::string> handles;
    for (const auto& k : keys) {
        auto list = kv_.get(k);
        if (!list) return list.error();
        if (!list.value()) continue;
        for (auto& h : split(*list.value()))
            if (std::find(handles.begin(), handles.end(), h) == handles.end()) handles.push_back(std::move(h));
        if (auto rm = kv_.remove(k); !rm) return rm.error();
    }
    return handles;
}

}  // namespace hdsso

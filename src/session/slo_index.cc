#include "session/slo_index.h"

#include "core/crypto.h"

namespace hdsso {

std::string SloIndex::key(const char* kind, std::string_view issuer, std::string_view value) {
    std::string material(issuer);
    material += "\n";
    material += value;
    return std::string("saml-") + kind + ":" + hex_encode(sha256(material));
}

Result<void> SloIndex::record(const Identity& id, std::string_view handle, std::int64_t until) {
    if (!id.session_index.empty())
        if (auto r = kv_.put(key("sid", id.issuer, id.session_index), handle, until); !r) return r;
    return kv_.put(key("nid", id.issuer, id.name_id), handle, until);
}

Result<std::vector<std::string>> SloIndex::take(std::string_view issuer,
                                               const std::vector<std::string>& session_indexes,
                                               std::string_view name_id) {
    std::vector<std::string> keys;
    for (const auto& index : session_indexes) keys.push_back(key("sid", issuer, index));
    if (keys.empty()) keys.push_back(key("nid", issuer, name_id));
    std::vector<std::string> handles;
    for (const auto& k : keys) {
        auto handle = kv_.get(k);
        if (!handle) return handle.error();
        if (!handle.value()) continue;
        handles.push_back(std::move(*handle.value()));
        if (auto rm = kv_.remove(k); !rm) return rm.error();
    }
    return handles;
}

}  // namespace hdsso

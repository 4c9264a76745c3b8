#include "url/endpoints.h"

namespace hdsso {

const EndpointSpec* find_endpoint(std::string_view leaf) {
    for (const auto& e : kEndpoints)
        if (leaf == e.leaf) return &e;
    return nullptr;
}

std::string method_names(unsigned methods) {
    std::string out;
    for (auto [bit, name] : {std::pair{kGet, "GET"}, std::pair{kHead, "HEAD"}, std::pair{kPost, "POST"}})
        if (methods & bit) out += (out.empty() ? "" : ", ") + std::string(name);
    return out;
}

unsigned method_bit(std::string_view method) {
    if (method == "GET") return kGet;
    if (method == "HEAD") return kHead;
    if (method == "POST") return kPost;
    return 0;
}

const char* served_when_name(ServedWhen w) {
    switch (w) {
    case ServedWhen::always: return "always";
    case ServedWhen::remote_auth: return "HelpdeskSSORemoteSecretFile";
    case ServedWhen::jwt_keys: return "HelpdeskSSOJWTKeyFile or HelpdeskSSOJWTKeysURL";
    case ServedWhen::saml: return "a SAML service provider (HelpdeskSSOSAMLBaseURL)";
    case ServedWhen::oidc: return "HelpdeskSSOOIDCProvider";
    case ServedWhen::diagnostics: return "HelpdeskSSODiagnostics On";
    case ServedWhen::metrics: return "HelpdeskSSOMetrics On";
    case ServedWhen::broker: return "HelpdeskSSOBroker of this kind";
    }
    return "?";
}

}  // namespace hdsso

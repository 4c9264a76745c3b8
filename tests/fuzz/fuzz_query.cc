// Query strings (src/url/query): strict decoding of what clients send and
// the encoder of every URL the product builds. Invariants: the parameters of
// an accepted query, encoded again, parse to the same parameters (directly
// and through append_query); form_decode undoes percent_encode for any
// bytes; percent_encode writes only unreserved characters and %XX; the
// limits hold.
#include "fuzz_common.h"

#include "url/query.h"

using namespace hdsso;

namespace {

bool unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    std::string enc = percent_encode(in);
    for (std::size_t i = 0; i < enc.size(); ++i) {
        if (enc[i] == '%') {
            FUZZ_CHECK(i + 2 < enc.size(), "truncated escape");
            for (std::size_t k = 1; k <= 2; ++k) {
                char h = enc[i + k];
                FUZZ_CHECK((h >= '0' && h <= '9') || (h >= 'A' && h <= 'F'), "escape is not two uppercase hex digits");
            }
            i += 2;
        } else {
            FUZZ_CHECK(unreserved(enc[i]), "percent_encode left a reserved byte");
        }
    }
    auto dec = form_decode(enc);
    FUZZ_CHECK(dec.ok() && dec.value() == in, "form_decode(percent_encode(x)) != x");

    std::string_view qp = query_part(in);
    FUZZ_CHECK(qp.data() >= in.data() && qp.data() + qp.size() <= in.data() + in.size(), "query_part is not inside its input");

    QueryLimits limits;
    auto params = parse_query(in, limits);
    if (!params) {
        FUZZ_CHECK(params.error().code == Status::url_malformed, "a refusal with another status");
        return 0;
    }
    FUZZ_CHECK(in.size() <= limits.max_length, "an over-long query was accepted");
    FUZZ_CHECK(params.value().size() <= limits.max_params, "too many parameters were accepted");
    std::string rebuilt;
    for (const auto& [k, v] : params.value()) {
        if (!rebuilt.empty()) rebuilt += '&';
        rebuilt += percent_encode(k) + "=" + percent_encode(v);
    }
    if (rebuilt.size() <= limits.max_length) {
        auto again = parse_query(rebuilt, limits);
        FUZZ_CHECK(again.ok(), "the re-encoded parameters do not parse: " + rebuilt);
        // An input "a" (no '=') and "a=" both give ("a", ""); encoded again
        // they read alike, which is what matters.
        FUZZ_CHECK(again.value() == params.value(), "parameters change through percent_encode");
    }
    std::string url = append_query("https://helpdesk.example.com/x", params.value());
    // (No parameter: no '?', and query_part of a URL without one is the URL.)
    if (!params.value().empty() && query_part(url).size() <= limits.max_length) {
        auto again = parse_query(query_part(url), limits);
        FUZZ_CHECK(again.ok() && again.value() == params.value(), "append_query does not carry the parameters");
    }
    return 0;
}

// Strict base64url (src/jose/base64url): every value has one encoding, so
// a decoded value re-encodes to exactly its input, and any bytes encoded
// decode back to themselves.
#include "fuzz_common.h"

#include "core/crypto.h"
#include "jose/base64url.h"

using namespace hdsso;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    auto d = base64url_decode(in);
    if (d) {
        FUZZ_CHECK(base64url_encode(d.value()) == in, "a decoded value does not re-encode to its input");
        FUZZ_CHECK(d.value().size() == size * 3 / 4, "decoded length is not 3/4 of the input's");
    } else {
        FUZZ_CHECK(d.error().code == Status::jwt_malformed, "a refusal with another status");
    }
    std::string e = base64url_encode(in);
    for (char c : e)
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_',
                   "the encoder wrote a byte outside the URL alphabet");
    auto back = base64url_decode(e);
    FUZZ_CHECK(back.ok() && back.value() == in, "encoded bytes do not decode back");
    return 0;
}

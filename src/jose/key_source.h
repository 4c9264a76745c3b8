// Verification and signing keys from the files an administrator names: a PEM
// public key, certificate or private key; a JWK or a JWK set; or, for HS*, a
// shared-secret file. One loader for `hdsso jwt` and the Apache module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jose/jwk.h"

namespace hdsso {

// `algs`: the allowed algorithms. PEM and secret keys get one key per
// allowed algorithm (each must fit the key). A JWK that names its own "alg"
// is kept when that algorithm is allowed (any, if `algs` is empty); a JWK
// without "alg" gets each allowed algorithm that fits its kty and curve. In a
// JWK set, keys for other purposes ("use":"enc", JWE algorithms, algorithms
// not allowed here) are passed over; a set with two keys under one kid, or
// mixing shared secrets with public keys, is refused. jwt.key_invalid when no
// key is left.
Result<std::vector<JwsKey>> keys_from_text(std::string_view text, const std::vector<JwsAlg>& algs,
                                           const std::string& kid = {});
// The JWK set case alone (the text must be JSON).
Result<std::vector<JwsKey>> keys_from_jwks(std::string_view text, const std::vector<JwsAlg>& algs);
// Reads `path` (config.io when unreadable) and calls keys_from_text; a
// secret file goes through read_secret_file.
Result<std::vector<JwsKey>> load_key_file(const std::string& path, const std::vector<JwsAlg>& algs,
                                          const std::string& kid = {});

}  // namespace hdsso

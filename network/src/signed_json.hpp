// Signed JSON as central signs case-number leases and identity assertions:
// {"<textKey>": "<compact key-sorted JSON>", "signature": "<base64>"}, the signature a detached
// SHA-256 one (ECDSA P-256) by central's receipt key over the text's bytes.
#pragma once

#include <network/openssl.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace shensu::network
{

// json[key] if json is an object holding a string there; Error("<what>: <key> missing") otherwise.
template<typename Error>
std::string requiredString(const nlohmann::json& json, const char* key, std::string_view what)
{
    if (!json.is_object() || !json.contains(key) || !json[key].is_string())
        throw Error(std::string(what) + ": " + key + " missing");
    return json[key].get<std::string>();
}

// The signed text of wire, parsed, once its signature verifies under key and its "type" is type.
// Throws Error("<what>: ...") for a missing field, a signature that is not base64 or does not
// verify, or another type; OpenSslError if the check cannot be set up.
template<typename Error>
nlohmann::json verifySignedJson(const nlohmann::json& wire, const char* textKey,
    std::string_view type, EVP_PKEY* key, std::string_view what)
{
    const std::string text = requiredString<Error>(wire, textKey, what);
    const auto signature = openssl::unbase64(requiredString<Error>(wire, "signature", what));
    if (!signature) throw Error(std::string(what) + ": signature is not base64");
    if (!openssl::verifySha256(key, openssl::bytesOf(text), *signature))
        throw Error(std::string(what) + ": signature does not verify");
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (requiredString<Error>(json, "type", what) != type)
        throw Error(std::string(what) + ": not one");
    return json;
}

} // namespace shensu::network
